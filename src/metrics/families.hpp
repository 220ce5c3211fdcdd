// Every metric family zkdump exports, each named once: name, type, help and label names. The
// exporter's samples refer to these, so a family's lines cannot drift apart.
#pragma once

#include "zkdump/metrics/exposition.hpp"

namespace zkdump::metrics::families {

inline constexpr Family kWriteStageDurationSeconds{
    "zkdump_write_stage_duration_seconds",
    "histogram",
    "Client writes: each stage the capture showed (forward, propose, quorum, commit, sync, reply; "
    "request_to_reply: the whole wait), by the client's server.",
    {"server", "stage"}};
inline constexpr Family kWatchFanoutsTotal{"zkdump_watch_fanouts_total", "counter",
                                           "Writes that fired watch notifications."};
inline constexpr Family kWatchNotificationsTotal{"zkdump_watch_notifications_total", "counter",
                                                 "Watch notifications those writes fired."};
inline constexpr Family kWatchFollowUpReadsTotal{
    "zkdump_watch_follow_up_reads_total", "counter",
    "Reads of a notified path by a notified client within a second."};
inline constexpr Family kWatchStormsTotal{
    "zkdump_watch_storms_total", "counter",
    "Writes that fired more notifications than --watch-storm."};
inline constexpr Family kSessionsAtRiskTotal{
    "zkdump_sessions_at_risk_total", "counter",
    "Sessions silent for more than 2/3 of their timeout, their connection open."};
inline constexpr Family kSessionExpiriesTotal{
    "zkdump_session_expiries_total",
    "counter",
    "Session expiries seen, by source: txn (the leader's closeSession), refused (a reconnect), "
    "reply (SESSIONEXPIRED).",
    {"source"}};
inline constexpr Family kConnectionStormsTotal{
    "zkdump_connection_storms_total", "counter",
    "Client hosts past --connection-storm connections open or connects in 10 s."};
inline constexpr Family kSizeAlertsTotal{
    "zkdump_size_alerts_total",
    "counter",
    "Requests, replies and txns past the alert fraction of jute.maxbuffer.",
    {"what"}};
inline constexpr Family kPacketsTotal{"zkdump_packets_total", "counter",
                                      "Packets read from the capture."};
inline constexpr Family kCapturedBytesTotal{"zkdump_captured_bytes_total", "counter",
                                            "Bytes of the packets read, as on the wire."};
inline constexpr Family kTcpSegmentsTotal{"zkdump_tcp_segments_total", "counter",
                                          "TCP segments to or from a watched port."};
inline constexpr Family kKernelDropsTotal{"zkdump_kernel_drops_total", "counter",
                                          "Packets the kernel dropped before zkdump read them."};
inline constexpr Family kInterfaceDropsTotal{"zkdump_interface_drops_total", "counter",
                                             "Packets the interface dropped."};
inline constexpr Family kTruncatedPacketsTotal{"zkdump_truncated_packets_total", "counter",
                                               "Packets the snapshot length cut short."};
inline constexpr Family kTcpGapsTotal{"zkdump_tcp_gaps_total", "counter",
                                      "Stretches of TCP stream the capture never saw."};
inline constexpr Family kTcpGapBytesTotal{"zkdump_tcp_gap_bytes_total", "counter",
                                          "Bytes of TCP stream the capture never saw."};
inline constexpr Family kTcpBufferDropsTotal{
    "zkdump_tcp_buffer_drops_total", "counter",
    "Out-of-order segments dropped at the reassembly buffer cap."};
inline constexpr Family kConnectionsOpenedTotal{"zkdump_connections_opened_total", "counter",
                                                "TCP connections tracked."};
inline constexpr Family kConnectionsExpiredTotal{"zkdump_connections_expired_total", "counter",
                                                 "Connections forgotten after the idle timeout."};
inline constexpr Family kConnectionsEvictedTotal{"zkdump_connections_evicted_total", "counter",
                                                 "Connections evicted at the connection cap."};
inline constexpr Family kConnectionsOpen{"zkdump_connections_open", "gauge",
                                         "Connections tracked now."};
inline constexpr Family kStreamProblemsTotal{
    "zkdump_stream_problems_total",
    "counter",
    "Gaps, undecodable stretches, bad or oversized lengths, by protocol and problem.",
    {"proto", "problem"}};
inline constexpr Family kUndecodableBytesTotal{
    "zkdump_undecodable_bytes_total",
    "counter",
    "Bytes skipped looking for the next message, by protocol.",
    {"proto"}};
inline constexpr Family kTlsConnectionsTotal{
    "zkdump_tls_connections_total",
    "counter",
    "TLS connections by what became of them: decrypted, or why not (no_key, unsupported_suite, "
    "handshake_not_captured, ...).",
    {"result"}};
inline constexpr Family kTlsBytesTotal{
    "zkdump_tls_bytes_total",
    "counter",
    "TLS record bytes of connections that ended, by whether they decrypted.",
    {"decrypted"}};
inline constexpr Family kTlsDecryptionStopsTotal{
    "zkdump_tls_decryption_stops_total",
    "counter",
    "Directions of decrypted TLS connections whose decryption stopped, by why (gap, bad_record).",
    {"reason"}};
inline constexpr Family kUnknownRepliesTotal{
    "zkdump_unknown_replies_total", "counter",
    "ZooKeeper replies to an xid no captured request had."};
inline constexpr Family kWatchEventsTotal{
    "zkdump_watch_events_total", "counter", "ZooKeeper watch notifications, by type.", {"type"}};
inline constexpr Family kSessionsTotal{
    "zkdump_sessions_total",
    "counter",
    "ZooKeeper sessions established, reconnected, expired and closed.",
    {"change"}};
inline constexpr Family kPathRequestsTotal{
    "zkdump_path_requests_total",
    "counter",
    "ZooKeeper requests by path (folded by --aggregation-depth): the busiest paths, the rest as "
    "other.",
    {"path"}};
inline constexpr Family kClientRequestsTotal{
    "zkdump_client_requests_total",
    "counter",
    "ZooKeeper requests by client host: the busiest, the rest as other.",
    {"client"}};
inline constexpr Family kRequestsTotal{
    "zkdump_requests_total", "counter", "ZooKeeper requests, by op.", {"op"}};
inline constexpr Family kRequestBytesTotal{"zkdump_request_bytes_total",
                                           "counter",
                                           "Bytes of ZooKeeper requests, length prefix included.",
                                           {"op"}};
inline constexpr Family kReplyBytesTotal{"zkdump_reply_bytes_total",
                                         "counter",
                                         "Bytes of ZooKeeper replies, length prefix included.",
                                         {"op"}};
inline constexpr Family kUnansweredRequestsTotal{
    "zkdump_unanswered_requests_total",
    "counter",
    "ZooKeeper requests whose connection ended or was forgotten before their reply.",
    {"op"}};
inline constexpr Family kRepliesTotal{"zkdump_replies_total",
                                      "counter",
                                      "ZooKeeper replies, by op and error (OK: none).",
                                      {"op", "err"}};
inline constexpr Family kRequestDurationSeconds{
    "zkdump_request_duration_seconds",
    "histogram",
    "ZooKeeper request to reply, as the capture saw them, by op.",
    {"op"}};
inline constexpr Family kZabPacketsTotal{"zkdump_zab_packets_total",
                                         "counter",
                                         "ZAB packets between leader and learners, by type.",
                                         {"type"}};
inline constexpr Family kZabProposalsTotal{
    "zkdump_zab_proposals_total",
    "counter",
    "PROPOSALs the leader broadcast to each follower in sync.",
    {"follower"}};
inline constexpr Family kZabAckDurationSeconds{"zkdump_zab_ack_duration_seconds",
                                               "histogram",
                                               "PROPOSAL to the follower's ACK, by follower.",
                                               {"follower"}};
inline constexpr Family kZabCommitDurationSeconds{
    "zkdump_zab_commit_duration_seconds",
    "histogram",
    "PROPOSAL to the leader's COMMIT to the follower, by follower.",
    {"follower"}};
inline constexpr Family kElectionNotificationsTotal{
    "zkdump_election_notifications_total",
    "counter",
    "Leader election notifications, by the sender's state.",
    {"state"}};
inline constexpr Family kElectionEpoch{
    "zkdump_election_epoch", "gauge",
    "The newest election epoch a notification carried; a change is an election."};
inline constexpr Family kElectionLeader{
    "zkdump_election_leader", "gauge",
    "The server id of the leader: the server its learners' ZAB links go to, or the one the last "
    "settled notification named; -1 while a leader seen at work has no known id."};
inline constexpr Family kZabLeaderEpoch{"zkdump_zab_leader_epoch", "gauge",
                                        "The leader's epoch, from its zxids."};
inline constexpr Family kZabLeaderChangesTotal{
    "zkdump_zab_leader_changes_total", "counter",
    "Leaders that began committing, the first one seen included."};
inline constexpr Family kEtcdWatchEventsTotal{
    "zkdump_etcd_watch_events_total", "counter", "etcd watch events, by type.", {"type"}};
inline constexpr Family kEtcdWatchersCreatedTotal{"zkdump_etcd_watchers_created_total", "counter",
                                                  "etcd watchers the server created."};
inline constexpr Family kEtcdWatchersCanceledTotal{"zkdump_etcd_watchers_canceled_total", "counter",
                                                   "etcd watchers canceled."};
inline constexpr Family kEtcdRevision{"zkdump_etcd_revision", "gauge",
                                      "The newest store revision an etcd reply showed."};
inline constexpr Family kEtcdWatchLagRevisions{
    "zkdump_etcd_watch_lag_revisions", "histogram",
    "Revisions a watch reply's events trailed the newest revision seen."};
inline constexpr Family kEtcdPrefixRequestsTotal{
    "zkdump_etcd_prefix_requests_total",
    "counter",
    "etcd requests naming a key, by the key's prefix: the busiest, the rest as other.",
    {"prefix"}};
inline constexpr Family kEtcdClientRequestsTotal{
    "zkdump_etcd_client_requests_total",
    "counter",
    "etcd requests by client host: the busiest, the rest as other.",
    {"client"}};
inline constexpr Family kEtcdRequestsTotal{"zkdump_etcd_requests_total",
                                           "counter",
                                           "gRPC messages from etcd clients, by method.",
                                           {"method"}};
inline constexpr Family kEtcdRepliesTotal{"zkdump_etcd_replies_total",
                                          "counter",
                                          "gRPC messages from etcd servers, by method.",
                                          {"method"}};
inline constexpr Family kEtcdRequestBytesTotal{"zkdump_etcd_request_bytes_total",
                                               "counter",
                                               "Bytes of etcd requests, gRPC prefix included.",
                                               {"method"}};
inline constexpr Family kEtcdReplyBytesTotal{"zkdump_etcd_reply_bytes_total",
                                             "counter",
                                             "Bytes of etcd replies, gRPC prefix included.",
                                             {"method"}};
inline constexpr Family kEtcdCallsTotal{"zkdump_etcd_calls_total",
                                        "counter",
                                        "etcd calls ended, by method and gRPC status.",
                                        {"method", "grpc_code"}};
inline constexpr Family kEtcdRequestDurationSeconds{
    "zkdump_etcd_request_duration_seconds",
    "histogram",
    "etcd call's first request to its first answer, by method.",
    {"method"}};

}  // namespace zkdump::metrics::families
