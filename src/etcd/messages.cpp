#include "zkdump/etcd/messages.hpp"

#include <array>

#include "zkdump/etcd/protobuf.hpp"

namespace zkdump::etcd {
namespace {

using K = FieldKind;
constexpr FieldRole kDetail = FieldRole::kDetail;

constexpr FieldSpec text(std::uint32_t number, const char* key, FieldRole role = FieldRole::kMain) {
  return {number, key, K::kText, {""}, false, role};
}
constexpr FieldSpec texts(std::uint32_t number, const char* key) {
  return {number, key, K::kText, {""}, true};
}
constexpr FieldSpec data(std::uint32_t number, const char* size_key, const char* preview_key) {
  return {number, size_key, K::kData, preview_key};
}
constexpr FieldSpec integer(std::uint32_t number, const char* key,
                            FieldRole role = FieldRole::kMain) {
  return {number, key, K::kInt, {""}, false, role};
}
constexpr FieldSpec id(std::uint32_t number, const char* key, FieldRole role = FieldRole::kMain) {
  return {number, key, K::kId, {""}, false, role};
}
constexpr FieldSpec flag(std::uint32_t number, const char* key) {
  return {number, key, K::kBool};
}
constexpr FieldSpec secret(std::uint32_t number, const char* key) {
  return {number, key, K::kSecret};
}
constexpr FieldSpec one_of(std::uint32_t number, const char* key,
                           std::span<const std::string_view> names, bool repeated = false) {
  return {number, key, K::kEnum, {""}, repeated, FieldRole::kMain, nullptr, names};
}
// Shown when absent too: an enum's first value, proto3 leaves out.
constexpr FieldSpec always(FieldSpec spec) {
  spec.always = true;
  return spec;
}
constexpr FieldSpec message(std::uint32_t number, const char* key, const MessageSpec& spec) {
  return {number, key, K::kMessage, {""}, false, FieldRole::kMain, &spec};
}
constexpr FieldSpec messages(std::uint32_t number, const char* key, const MessageSpec& spec) {
  return {number, key, K::kMessage, {""}, true, FieldRole::kMain, &spec};
}
constexpr FieldSpec inlined(std::uint32_t number, const MessageSpec& spec) {
  return {number, "header", K::kInline, {""}, false, FieldRole::kMain, &spec};
}

constexpr MessageSpec kEmpty{"Message", {}};

// mvccpb and the response header.
constexpr std::array kHeaderFields = {id(1, "cluster_id", kDetail), id(2, "member_id", kDetail),
                                      integer(3, "revision"), integer(4, "raft_term", kDetail)};
constexpr MessageSpec kHeader{"ResponseHeader", kHeaderFields};
constexpr std::array kKeyValueFields = {
    text(1, "key"),        integer(2, "create_revision"),  integer(3, "mod_revision"),
    integer(4, "version"), data(5, "value_size", "value"), id(6, "lease")};
constexpr MessageSpec kKeyValue{"KeyValue", kKeyValueFields};
constexpr std::array<std::string_view, 2> kEventTypes = {"PUT", "DELETE"};
constexpr std::array kEventFields = {always(one_of(1, "event_type", kEventTypes)),
                                     message(2, "kv", kKeyValue), message(3, "prev_kv", kKeyValue)};
constexpr MessageSpec kEvent{"Event", kEventFields};

// KV.
constexpr std::array<std::string_view, 3> kSortOrders = {"NONE", "ASCEND", "DESCEND"};
constexpr std::array<std::string_view, 5> kSortTargets = {"KEY", "VERSION", "CREATE", "MOD",
                                                          "VALUE"};
constexpr std::array kRangeRequestFields = {text(1, "key"),
                                            text(2, "range_end"),
                                            integer(3, "limit"),
                                            integer(4, "revision"),
                                            one_of(5, "sort_order", kSortOrders),
                                            one_of(6, "sort_target", kSortTargets),
                                            flag(7, "serializable"),
                                            flag(8, "keys_only"),
                                            flag(9, "count_only"),
                                            integer(10, "min_mod_revision"),
                                            integer(11, "max_mod_revision"),
                                            integer(12, "min_create_revision"),
                                            integer(13, "max_create_revision")};
constexpr MessageSpec kRangeRequest{"RangeRequest", kRangeRequestFields};
constexpr std::array kRangeResponseFields = {inlined(1, kHeader), messages(2, "kvs", kKeyValue),
                                             flag(3, "more"), integer(4, "count")};
constexpr MessageSpec kRangeResponse{"RangeResponse", kRangeResponseFields};
constexpr std::array kPutRequestFields = {text(1, "key"),          data(2, "value_size", "value"),
                                          id(3, "lease"),          flag(4, "want_prev_kv"),
                                          flag(5, "ignore_value"), flag(6, "ignore_lease")};
constexpr MessageSpec kPutRequest{"PutRequest", kPutRequestFields};
constexpr std::array kPutResponseFields = {inlined(1, kHeader), message(2, "prev_kv", kKeyValue)};
constexpr MessageSpec kPutResponse{"PutResponse", kPutResponseFields};
constexpr std::array kDeleteRequestFields = {text(1, "key"), text(2, "range_end"),
                                             flag(3, "want_prev_kv")};
constexpr MessageSpec kDeleteRequest{"DeleteRangeRequest", kDeleteRequestFields};
constexpr std::array kDeleteResponseFields = {inlined(1, kHeader), integer(2, "deleted"),
                                              messages(3, "prev_kvs", kKeyValue)};
constexpr MessageSpec kDeleteResponse{"DeleteRangeResponse", kDeleteResponseFields};
constexpr std::array<std::string_view, 4> kCompareResults = {"EQUAL", "GREATER", "LESS",
                                                             "NOT_EQUAL"};
constexpr std::array<std::string_view, 5> kCompareTargets = {"VERSION", "CREATE", "MOD", "VALUE",
                                                             "LEASE"};
constexpr std::array kCompareFields = {always(one_of(1, "compare_result", kCompareResults)),
                                       always(one_of(2, "target", kCompareTargets)),
                                       text(3, "key"),
                                       integer(4, "version"),
                                       integer(5, "create_revision"),
                                       integer(6, "mod_revision"),
                                       data(7, "value_size", "value"),
                                       id(8, "lease"),
                                       text(64, "range_end")};
constexpr MessageSpec kCompare{"Compare", kCompareFields};
extern const MessageSpec kTxnRequest;
extern const MessageSpec kTxnResponse;
constexpr std::array kRequestOpFields = {
    message(1, "request_range", kRangeRequest), message(2, "request_put", kPutRequest),
    message(3, "request_delete_range", kDeleteRequest), message(4, "request_txn", kTxnRequest)};
constexpr MessageSpec kRequestOp{"RequestOp", kRequestOpFields};
constexpr std::array kTxnRequestFields = {messages(1, "compare", kCompare),
                                          messages(2, "success", kRequestOp),
                                          messages(3, "failure", kRequestOp)};
constexpr MessageSpec kTxnRequest{"TxnRequest", kTxnRequestFields};
constexpr std::array kResponseOpFields = {
    message(1, "response_range", kRangeResponse), message(2, "response_put", kPutResponse),
    message(3, "response_delete_range", kDeleteResponse), message(4, "response_txn", kTxnResponse)};
constexpr MessageSpec kResponseOp{"ResponseOp", kResponseOpFields};
constexpr std::array kTxnResponseFields = {inlined(1, kHeader), always(flag(2, "succeeded")),
                                           messages(3, "responses", kResponseOp)};
constexpr MessageSpec kTxnResponse{"TxnResponse", kTxnResponseFields};
constexpr std::array kCompactRequestFields = {integer(1, "revision"), flag(2, "physical")};
constexpr MessageSpec kCompactRequest{"CompactionRequest", kCompactRequestFields};
constexpr std::array kHeaderOnlyFields = {inlined(1, kHeader)};
constexpr MessageSpec kHeaderOnly{"Response", kHeaderOnlyFields};

// Watch.
constexpr std::array<std::string_view, 2> kWatchFilters = {"NOPUT", "NODELETE"};
constexpr std::array kWatchCreateFields = {text(1, "key"),
                                           text(2, "range_end"),
                                           integer(3, "start_revision"),
                                           flag(4, "progress_notify"),
                                           one_of(5, "filters", kWatchFilters, true),
                                           flag(6, "want_prev_kv"),
                                           integer(7, "watch_id"),
                                           flag(8, "fragment")};
constexpr MessageSpec kWatchCreate{"WatchCreateRequest", kWatchCreateFields};
constexpr std::array kWatchCancelFields = {integer(1, "watch_id")};
constexpr MessageSpec kWatchCancel{"WatchCancelRequest", kWatchCancelFields};
constexpr MessageSpec kWatchProgress{"WatchProgressRequest", {}};
constexpr std::array kWatchRequestFields = {message(1, "create_request", kWatchCreate),
                                            message(2, "cancel_request", kWatchCancel),
                                            message(3, "progress_request", kWatchProgress)};
constexpr MessageSpec kWatchRequest{"WatchRequest", kWatchRequestFields};
constexpr std::array kWatchResponseFields = {
    inlined(1, kHeader), integer(2, "watch_id"),           flag(3, "created"),
    flag(4, "canceled"), integer(5, "compact_revision"),   text(6, "cancel_reason"),
    flag(7, "fragment"), messages(11, "kv_events", kEvent)};
constexpr MessageSpec kWatchResponse{"WatchResponse", kWatchResponseFields};

// Lease.
constexpr std::array kLeaseGrantRequestFields = {integer(1, "ttl"), id(2, "id")};
constexpr MessageSpec kLeaseGrantRequest{"LeaseGrantRequest", kLeaseGrantRequestFields};
constexpr std::array kLeaseGrantResponseFields = {inlined(1, kHeader), id(2, "id"),
                                                  integer(3, "ttl"), text(4, "lease_error")};
constexpr MessageSpec kLeaseGrantResponse{"LeaseGrantResponse", kLeaseGrantResponseFields};
constexpr std::array kLeaseIdFields = {id(1, "id")};
constexpr MessageSpec kLeaseId{"LeaseRequest", kLeaseIdFields};
constexpr std::array kLeaseKeepAliveResponseFields = {inlined(1, kHeader), id(2, "id"),
                                                      integer(3, "ttl")};
constexpr MessageSpec kLeaseKeepAliveResponse{"LeaseKeepAliveResponse",
                                              kLeaseKeepAliveResponseFields};
constexpr std::array kLeaseTtlRequestFields = {id(1, "id"), flag(2, "keys")};
constexpr MessageSpec kLeaseTtlRequest{"LeaseTimeToLiveRequest", kLeaseTtlRequestFields};
constexpr std::array kLeaseTtlResponseFields = {inlined(1, kHeader), id(2, "id"), integer(3, "ttl"),
                                                integer(4, "granted_ttl"), texts(5, "lease_keys")};
constexpr MessageSpec kLeaseTtlResponse{"LeaseTimeToLiveResponse", kLeaseTtlResponseFields};
constexpr std::array kLeaseStatusFields = {id(1, "id")};
constexpr MessageSpec kLeaseStatus{"LeaseStatus", kLeaseStatusFields};
constexpr std::array kLeaseLeasesResponseFields = {inlined(1, kHeader),
                                                   messages(2, "leases", kLeaseStatus)};
constexpr MessageSpec kLeaseLeasesResponse{"LeaseLeasesResponse", kLeaseLeasesResponseFields};

// Cluster, Maintenance, Auth.
constexpr std::array kMemberFields = {id(1, "id"), text(2, "name"), texts(3, "peer_urls"),
                                      texts(4, "client_urls"), flag(5, "is_learner")};
constexpr MessageSpec kMember{"Member", kMemberFields};
constexpr std::array kMemberListRequestFields = {flag(1, "linearizable")};
constexpr MessageSpec kMemberListRequest{"MemberListRequest", kMemberListRequestFields};
constexpr std::array kMemberListResponseFields = {inlined(1, kHeader),
                                                  messages(2, "members", kMember)};
constexpr MessageSpec kMemberListResponse{"MemberListResponse", kMemberListResponseFields};
constexpr std::array kStatusResponseFields = {inlined(1, kHeader),
                                              text(2, "server_version"),
                                              integer(3, "db_size"),
                                              id(4, "leader_id"),
                                              integer(5, "raft_index"),
                                              integer(6, "status_raft_term"),
                                              integer(7, "raft_applied_index"),
                                              texts(8, "errors"),
                                              integer(9, "db_size_in_use")};
constexpr MessageSpec kStatusResponse{"StatusResponse", kStatusResponseFields};
constexpr std::array kAuthenticateRequestFields = {text(1, "name"), secret(2, "password")};
constexpr MessageSpec kAuthenticateRequest{"AuthenticateRequest", kAuthenticateRequestFields};
constexpr std::array kAuthenticateResponseFields = {inlined(1, kHeader), secret(2, "token")};
constexpr MessageSpec kAuthenticateResponse{"AuthenticateResponse", kAuthenticateResponseFields};
constexpr std::array kUserPasswordFields = {text(1, "name"), secret(2, "password")};
constexpr MessageSpec kUserPassword{"UserRequest", kUserPasswordFields};

// v3lock.
constexpr std::array kLockRequestFields = {text(1, "name"), id(2, "lease")};
constexpr MessageSpec kLockRequest{"LockRequest", kLockRequestFields};
constexpr std::array kLockResponseFields = {inlined(1, kHeader), text(2, "key")};
constexpr MessageSpec kLockResponse{"LockResponse", kLockResponseFields};
constexpr std::array kUnlockRequestFields = {text(1, "key")};
constexpr MessageSpec kUnlockRequest{"UnlockRequest", kUnlockRequestFields};

constexpr std::array kMethods = {
    Method{"/etcdserverpb.KV/Range", "Range", &kRangeRequest, &kRangeResponse},
    Method{"/etcdserverpb.KV/Put", "Put", &kPutRequest, &kPutResponse},
    Method{"/etcdserverpb.KV/DeleteRange", "DeleteRange", &kDeleteRequest, &kDeleteResponse},
    Method{"/etcdserverpb.KV/Txn", "Txn", &kTxnRequest, &kTxnResponse},
    Method{"/etcdserverpb.KV/Compact", "Compact", &kCompactRequest, &kHeaderOnly},
    Method{"/etcdserverpb.Watch/Watch", "Watch", &kWatchRequest, &kWatchResponse},
    Method{"/etcdserverpb.Lease/LeaseGrant", "LeaseGrant", &kLeaseGrantRequest,
           &kLeaseGrantResponse},
    Method{"/etcdserverpb.Lease/LeaseRevoke", "LeaseRevoke", &kLeaseId, &kHeaderOnly},
    Method{"/etcdserverpb.Lease/LeaseKeepAlive", "LeaseKeepAlive", &kLeaseId,
           &kLeaseKeepAliveResponse},
    Method{"/etcdserverpb.Lease/LeaseTimeToLive", "LeaseTimeToLive", &kLeaseTtlRequest,
           &kLeaseTtlResponse},
    Method{"/etcdserverpb.Lease/LeaseLeases", "LeaseLeases", &kEmpty, &kLeaseLeasesResponse},
    Method{"/etcdserverpb.Cluster/MemberList", "MemberList", &kMemberListRequest,
           &kMemberListResponse},
    Method{"/etcdserverpb.Maintenance/Status", "Status", &kEmpty, &kStatusResponse},
    Method{"/etcdserverpb.Auth/Authenticate", "Authenticate", &kAuthenticateRequest,
           &kAuthenticateResponse},
    Method{"/etcdserverpb.Auth/UserAdd", "UserAdd", &kUserPassword, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/UserChangePassword", "UserChangePassword", &kUserPassword,
           &kHeaderOnly},
    Method{"/v3lockpb.Lock/Lock", "Lock", &kLockRequest, &kLockResponse},
    Method{"/v3lockpb.Lock/Unlock", "Unlock", &kUnlockRequest, &kHeaderOnly},
};

}  // namespace

WatchFacts watch_facts(ByteSpan watch_response) {
  WatchFacts facts;
  pb::Reader reader(watch_response);
  pb::Field field;
  while (reader.next(field)) {
    if (field.number == kWatchResponseFields[2].number) facts.created = field.value != 0;
    if (field.number == kWatchResponseFields[3].number) facts.canceled = field.value != 0;
    if (field.number != kWatchResponseFields[7].number) continue;
    pb::Reader event(field.bytes);
    pb::Field type{kEventFields[0].number, pb::WireType::kVarint, 0, {}};
    pb::Field member;
    while (event.next(member)) {
      if (member.number == kEventFields[0].number) type = member;
    }
    ++(type.value == 1 ? facts.deletes : facts.puts);
  }
  return facts;
}

bool txn_succeeded(ByteSpan txn_response) {
  pb::Reader reader(txn_response);
  pb::Field field;
  bool succeeded = false;
  while (reader.next(field)) {
    if (field.number == kTxnResponseFields[1].number) succeeded = field.value != 0;
  }
  return succeeded;
}

const Method* find_method(std::string_view path) {
  for (const Method& method : kMethods) {
    if (method.path == path) return &method;
  }
  return nullptr;
}

}  // namespace zkdump::etcd
