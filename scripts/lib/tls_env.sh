# Certificates for tests, made with openssl: a CA, certificates it signs with the SANs asked
# for, and self-signed ones, as PEM files in one folder (TLS_DIR) readable by every user.

# tls_ca DIR: a CA in DIR/ca.key and DIR/ca.crt.
tls_ca() {
  TLS_DIR=$1
  mkdir -p "$TLS_DIR"
  tls_key ca
  openssl req -x509 -new -key "$TLS_DIR/ca.key" -subj "/CN=zkdump test CA" -days 2 -out "$TLS_DIR/ca.crt"
  chmod 644 "$TLS_DIR"/*
}

tls_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS_DIR/$1.key" 2> /dev/null
  chmod 644 "$TLS_DIR/$1.key"  # test keys: zkdump re-reads them as nobody after -Z
}

# tls_signed NAME SUBJECT_ALT_NAME: NAME.key and NAME.crt signed by the CA.
tls_signed() {
  tls_key "$1"
  openssl req -new -key "$TLS_DIR/$1.key" -subj "/CN=$1" -out "$TLS_DIR/$1.csr"
  printf 'subjectAltName=%s\n' "$2" > "$TLS_DIR/$1.ext"
  openssl x509 -req -in "$TLS_DIR/$1.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" \
    -CAcreateserial -days 2 -extfile "$TLS_DIR/$1.ext" -out "$TLS_DIR/$1.crt" 2> /dev/null
  chmod 644 "$TLS_DIR/$1.crt"
}

# tls_self_signed NAME SUBJECT_ALT_NAME
tls_self_signed() {
  tls_key "$1"
  openssl req -x509 -new -key "$TLS_DIR/$1.key" -subj "/CN=$1" -addext "subjectAltName=$2" \
    -days 2 -out "$TLS_DIR/$1.crt"
  chmod 644 "$TLS_DIR/$1.crt"
}

# java_keylog_agent DIR: builds DIR/keylog-agent.jar from scripts/traffic/keylog_agent (needs a
# JDK and libasm-java); run Java with -javaagent:DIR/keylog-agent.jar=KEYLOG to log its secrets.
java_keylog_agent() {
  local source_dir asm=/usr/share/java
  source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../traffic/keylog_agent" && pwd)
  mkdir -p "$1/classes"
  javac -d "$1/classes" -cp "$asm/asm.jar:$asm/asm-commons.jar" "$source_dir/KeyLogAgent.java"
  printf 'Premain-Class: KeyLogAgent\nClass-Path: %s\n' \
    "$asm/asm.jar $asm/asm-commons.jar $asm/asm-tree.jar" > "$1/manifest"
  jar cfm "$1/keylog-agent.jar" "$1/manifest" -C "$1/classes" .
}
