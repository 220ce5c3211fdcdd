#include "zkdump/etcd/messages.hpp"

#include <algorithm>
#include <array>

#include "spec_match.hpp"
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
constexpr std::array kIdFields = {id(1, "id")};  // leases and members

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
// An event's line: its type is in the line's name, its key-value's fields are the line's.
constexpr std::array kEventLineFields = {
    FieldSpec{1, "event_type", K::kEnum, {""}, false, FieldRole::kInName, nullptr, kEventTypes},
    inlined(2, kKeyValue), message(3, "prev_kv", kKeyValue)};
constexpr MessageSpec kEventLine{"Event", kEventLineFields};

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
constexpr FieldSpec count(std::uint32_t number, const char* key) {
  return {number, key, K::kCount};
}
constexpr std::array kWatchResponseFields = {inlined(1, kHeader),
                                             always(integer(2, "watch_id")),
                                             flag(3, "created"),
                                             flag(4, "canceled"),
                                             integer(5, "compact_revision"),
                                             text(6, "cancel_reason"),
                                             flag(7, "fragment"),
                                             count(11, "events")};
constexpr MessageSpec kWatchResponse{"WatchResponse", kWatchResponseFields};

// Lease.
constexpr std::array kLeaseGrantRequestFields = {integer(1, "ttl"), id(2, "id")};
constexpr MessageSpec kLeaseGrantRequest{"LeaseGrantRequest", kLeaseGrantRequestFields};
constexpr std::array kLeaseGrantResponseFields = {inlined(1, kHeader), id(2, "id"),
                                                  integer(3, "ttl"), text(4, "lease_error")};
constexpr MessageSpec kLeaseGrantResponse{"LeaseGrantResponse", kLeaseGrantResponseFields};
constexpr MessageSpec kLeaseId{"LeaseRequest", kIdFields};
constexpr std::array kLeaseKeepAliveResponseFields = {inlined(1, kHeader), id(2, "id"),
                                                      integer(3, "ttl")};
constexpr MessageSpec kLeaseKeepAliveResponse{"LeaseKeepAliveResponse",
                                              kLeaseKeepAliveResponseFields};
constexpr std::array kLeaseTtlRequestFields = {id(1, "id"), flag(2, "keys")};
constexpr MessageSpec kLeaseTtlRequest{"LeaseTimeToLiveRequest", kLeaseTtlRequestFields};
constexpr std::array kLeaseTtlResponseFields = {inlined(1, kHeader), id(2, "id"), integer(3, "ttl"),
                                                integer(4, "granted_ttl"), texts(5, "lease_keys")};
constexpr MessageSpec kLeaseTtlResponse{"LeaseTimeToLiveResponse", kLeaseTtlResponseFields};
constexpr MessageSpec kLeaseStatus{"LeaseStatus", kIdFields};
constexpr std::array kLeaseLeasesResponseFields = {inlined(1, kHeader),
                                                   messages(2, "lease_list", kLeaseStatus)};
constexpr MessageSpec kLeaseLeasesResponse{"LeaseLeasesResponse", kLeaseLeasesResponseFields};

// Cluster.
constexpr std::array kMemberFields = {id(1, "id"), text(2, "name"), texts(3, "peer_urls"),
                                      texts(4, "client_urls"), flag(5, "is_learner")};
constexpr MessageSpec kMember{"Member", kMemberFields};
constexpr std::array kMemberAddRequestFields = {texts(1, "peer_urls"), flag(2, "is_learner")};
constexpr MessageSpec kMemberAddRequest{"MemberAddRequest", kMemberAddRequestFields};
constexpr std::array kMemberAddResponseFields = {inlined(1, kHeader), message(2, "member", kMember),
                                                 messages(3, "members", kMember)};
constexpr MessageSpec kMemberAddResponse{"MemberAddResponse", kMemberAddResponseFields};
constexpr MessageSpec kMemberId{"MemberRequest", kIdFields};
constexpr std::array kMemberUpdateRequestFields = {id(1, "id"), texts(2, "peer_urls")};
constexpr MessageSpec kMemberUpdateRequest{"MemberUpdateRequest", kMemberUpdateRequestFields};
constexpr std::array kMemberListRequestFields = {flag(1, "linearizable")};
constexpr MessageSpec kMemberListRequest{"MemberListRequest", kMemberListRequestFields};
constexpr std::array kMembersResponseFields = {inlined(1, kHeader),
                                               messages(2, "members", kMember)};
constexpr MessageSpec kMembersResponse{"MembersResponse", kMembersResponseFields};

// Maintenance.
constexpr std::array<std::string_view, 3> kAlarmActions = {"GET", "ACTIVATE", "DEACTIVATE"};
constexpr std::array<std::string_view, 3> kAlarmTypes = {"NONE", "NOSPACE", "CORRUPT"};
constexpr std::array kAlarmRequestFields = {always(one_of(1, "action", kAlarmActions)),
                                            id(2, "member_id"), one_of(3, "alarm", kAlarmTypes)};
constexpr MessageSpec kAlarmRequest{"AlarmRequest", kAlarmRequestFields};
constexpr std::array kAlarmMemberFields = {id(1, "member_id"),
                                           always(one_of(2, "alarm", kAlarmTypes))};
constexpr MessageSpec kAlarmMember{"AlarmMember", kAlarmMemberFields};
constexpr std::array kAlarmResponseFields = {inlined(1, kHeader),
                                             messages(2, "alarms", kAlarmMember)};
constexpr MessageSpec kAlarmResponse{"AlarmResponse", kAlarmResponseFields};
constexpr std::array kStatusResponseFields = {inlined(1, kHeader),
                                              text(2, "server_version"),
                                              integer(3, "db_size"),
                                              id(4, "leader_id"),
                                              integer(5, "raft_index"),
                                              integer(6, "status_raft_term"),
                                              integer(7, "raft_applied_index"),
                                              texts(8, "errors"),
                                              integer(9, "db_size_in_use"),
                                              flag(10, "is_learner")};
constexpr MessageSpec kStatusResponse{"StatusResponse", kStatusResponseFields};
constexpr std::array kHashResponseFields = {inlined(1, kHeader), integer(2, "hash")};
constexpr MessageSpec kHashResponse{"HashResponse", kHashResponseFields};
constexpr std::array kHashKvRequestFields = {integer(1, "revision")};
constexpr MessageSpec kHashKvRequest{"HashKVRequest", kHashKvRequestFields};
constexpr std::array kHashKvResponseFields = {inlined(1, kHeader), integer(2, "hash"),
                                              integer(3, "compact_revision")};
constexpr MessageSpec kHashKvResponse{"HashKVResponse", kHashKvResponseFields};
constexpr std::array kSnapshotResponseFields = {inlined(1, kHeader), integer(2, "remaining_bytes"),
                                                data(3, "blob_size", "blob")};
constexpr MessageSpec kSnapshotResponse{"SnapshotResponse", kSnapshotResponseFields};
constexpr std::array kMoveLeaderRequestFields = {id(1, "target_id")};
constexpr MessageSpec kMoveLeaderRequest{"MoveLeaderRequest", kMoveLeaderRequestFields};

// Auth (authpb for users' options and roles' permissions).
constexpr std::array kAuthenticateRequestFields = {text(1, "name"), secret(2, "password")};
constexpr MessageSpec kAuthenticateRequest{"AuthenticateRequest", kAuthenticateRequestFields};
constexpr std::array kAuthenticateResponseFields = {inlined(1, kHeader), secret(2, "token")};
constexpr MessageSpec kAuthenticateResponse{"AuthenticateResponse", kAuthenticateResponseFields};
constexpr std::array kUserAddOptionsFields = {flag(1, "no_password")};
constexpr MessageSpec kUserAddOptions{"UserAddOptions", kUserAddOptionsFields};
constexpr std::array kUserAddFields = {text(1, "name"), secret(2, "password"),
                                       message(3, "options", kUserAddOptions)};
constexpr MessageSpec kUserAdd{"AuthUserAddRequest", kUserAddFields};
constexpr MessageSpec kUserPassword{"AuthUserChangePasswordRequest", kAuthenticateRequestFields};
constexpr std::array kNameFields = {text(1, "name")};
constexpr MessageSpec kName{"NameRequest", kNameFields};
constexpr std::array kRoleFields = {text(1, "role")};
constexpr MessageSpec kRole{"RoleRequest", kRoleFields};
constexpr std::array kRolesResponseFields = {inlined(1, kHeader), texts(2, "roles")};
constexpr MessageSpec kRolesResponse{"RolesResponse", kRolesResponseFields};
constexpr std::array kUsersResponseFields = {inlined(1, kHeader), texts(2, "users")};
constexpr MessageSpec kUsersResponse{"AuthUserListResponse", kUsersResponseFields};
constexpr std::array kUserGrantRoleFields = {text(1, "user"), text(2, "role")};
constexpr MessageSpec kUserGrantRole{"AuthUserGrantRoleRequest", kUserGrantRoleFields};
constexpr std::array kUserRevokeRoleFields = {text(1, "name"), text(2, "role")};
constexpr MessageSpec kUserRevokeRole{"AuthUserRevokeRoleRequest", kUserRevokeRoleFields};
constexpr std::array<std::string_view, 3> kPermTypes = {"READ", "WRITE", "READWRITE"};
constexpr std::array kPermissionFields = {always(one_of(1, "perm_type", kPermTypes)),
                                          text(2, "key"), text(3, "range_end")};
constexpr MessageSpec kPermission{"Permission", kPermissionFields};
constexpr std::array kRoleGetResponseFields = {inlined(1, kHeader),
                                               messages(2, "permissions", kPermission)};
constexpr MessageSpec kRoleGetResponse{"AuthRoleGetResponse", kRoleGetResponseFields};
constexpr std::array kRoleGrantFields = {text(1, "name"), message(2, "perm", kPermission)};
constexpr MessageSpec kRoleGrant{"AuthRoleGrantPermissionRequest", kRoleGrantFields};
constexpr std::array kRoleRevokeFields = {text(1, "role"), text(2, "key"), text(3, "range_end")};
constexpr MessageSpec kRoleRevoke{"AuthRoleRevokePermissionRequest", kRoleRevokeFields};

// v3lock.
constexpr std::array kLockRequestFields = {text(1, "name"), id(2, "lease")};
constexpr MessageSpec kLockRequest{"LockRequest", kLockRequestFields};
constexpr std::array kLockResponseFields = {inlined(1, kHeader), text(2, "key")};
constexpr MessageSpec kLockResponse{"LockResponse", kLockResponseFields};
constexpr std::array kUnlockRequestFields = {text(1, "key")};
constexpr MessageSpec kUnlockRequest{"UnlockRequest", kUnlockRequestFields};

// v3election.
constexpr std::array kLeaderKeyFields = {text(1, "name"), text(2, "key"), integer(3, "rev"),
                                         id(4, "lease")};
constexpr MessageSpec kLeaderKey{"LeaderKey", kLeaderKeyFields};
constexpr std::array kCampaignRequestFields = {text(1, "name"), id(2, "lease"),
                                               data(3, "value_size", "value")};
constexpr MessageSpec kCampaignRequest{"CampaignRequest", kCampaignRequestFields};
constexpr std::array kLeaderKeyResponseFields = {inlined(1, kHeader),
                                                 message(2, "leader_key", kLeaderKey)};
constexpr MessageSpec kCampaignResponse{"CampaignResponse", kLeaderKeyResponseFields};
constexpr std::array kProclaimRequestFields = {message(1, "leader_key", kLeaderKey),
                                               data(2, "value_size", "value")};
constexpr MessageSpec kProclaimRequest{"ProclaimRequest", kProclaimRequestFields};
constexpr std::array kLeaderResponseFields = {inlined(1, kHeader), message(2, "kv", kKeyValue)};
constexpr MessageSpec kLeaderResponse{"LeaderResponse", kLeaderResponseFields};
constexpr std::array kResignRequestFields = {message(1, "leader_key", kLeaderKey)};
constexpr MessageSpec kResignRequest{"ResignRequest", kResignRequestFields};

// In the order a guess prefers them when several fit a message equally: the long-lived streams a
// capture joins mid-way first, then by how much of etcd's traffic each method makes.
constexpr std::array kMethods = {
    Method{"/etcdserverpb.Watch/Watch", "Watch", &kWatchRequest, &kWatchResponse},
    Method{"/etcdserverpb.Lease/LeaseKeepAlive", "LeaseKeepAlive", &kLeaseId,
           &kLeaseKeepAliveResponse},
    Method{"/etcdserverpb.KV/Range", "Range", &kRangeRequest, &kRangeResponse, KeyAccess::kRead},
    Method{"/etcdserverpb.KV/Put", "Put", &kPutRequest, &kPutResponse, KeyAccess::kWrite},
    Method{"/etcdserverpb.KV/DeleteRange", "DeleteRange", &kDeleteRequest, &kDeleteResponse,
           KeyAccess::kWrite},
    Method{"/etcdserverpb.KV/Txn", "Txn", &kTxnRequest, &kTxnResponse},
    Method{"/etcdserverpb.KV/Compact", "Compact", &kCompactRequest, &kHeaderOnly},
    Method{"/etcdserverpb.Lease/LeaseGrant", "LeaseGrant", &kLeaseGrantRequest,
           &kLeaseGrantResponse},
    Method{"/etcdserverpb.Lease/LeaseRevoke", "LeaseRevoke", &kLeaseId, &kHeaderOnly},
    Method{"/etcdserverpb.Lease/LeaseTimeToLive", "LeaseTimeToLive", &kLeaseTtlRequest,
           &kLeaseTtlResponse},
    Method{"/etcdserverpb.Lease/LeaseLeases", "LeaseLeases", &kEmpty, &kLeaseLeasesResponse},
    Method{"/etcdserverpb.Cluster/MemberAdd", "MemberAdd", &kMemberAddRequest, &kMemberAddResponse},
    Method{"/etcdserverpb.Cluster/MemberRemove", "MemberRemove", &kMemberId, &kMembersResponse},
    Method{"/etcdserverpb.Cluster/MemberUpdate", "MemberUpdate", &kMemberUpdateRequest,
           &kMembersResponse},
    Method{"/etcdserverpb.Cluster/MemberList", "MemberList", &kMemberListRequest,
           &kMembersResponse},
    Method{"/etcdserverpb.Cluster/MemberPromote", "MemberPromote", &kMemberId, &kMembersResponse},
    Method{"/etcdserverpb.Maintenance/Alarm", "Alarm", &kAlarmRequest, &kAlarmResponse},
    Method{"/etcdserverpb.Maintenance/Status", "Status", &kEmpty, &kStatusResponse},
    Method{"/etcdserverpb.Maintenance/Defragment", "Defragment", &kEmpty, &kHeaderOnly},
    Method{"/etcdserverpb.Maintenance/Hash", "Hash", &kEmpty, &kHashResponse},
    Method{"/etcdserverpb.Maintenance/HashKV", "HashKV", &kHashKvRequest, &kHashKvResponse},
    Method{"/etcdserverpb.Maintenance/Snapshot", "Snapshot", &kEmpty, &kSnapshotResponse},
    Method{"/etcdserverpb.Maintenance/MoveLeader", "MoveLeader", &kMoveLeaderRequest, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/AuthEnable", "AuthEnable", &kEmpty, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/AuthDisable", "AuthDisable", &kEmpty, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/Authenticate", "Authenticate", &kAuthenticateRequest,
           &kAuthenticateResponse},
    Method{"/etcdserverpb.Auth/UserAdd", "UserAdd", &kUserAdd, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/UserGet", "UserGet", &kName, &kRolesResponse},
    Method{"/etcdserverpb.Auth/UserList", "UserList", &kEmpty, &kUsersResponse},
    Method{"/etcdserverpb.Auth/UserDelete", "UserDelete", &kName, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/UserChangePassword", "UserChangePassword", &kUserPassword,
           &kHeaderOnly},
    Method{"/etcdserverpb.Auth/UserGrantRole", "UserGrantRole", &kUserGrantRole, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/UserRevokeRole", "UserRevokeRole", &kUserRevokeRole, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/RoleAdd", "RoleAdd", &kName, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/RoleGet", "RoleGet", &kRole, &kRoleGetResponse},
    Method{"/etcdserverpb.Auth/RoleList", "RoleList", &kEmpty, &kRolesResponse},
    Method{"/etcdserverpb.Auth/RoleDelete", "RoleDelete", &kRole, &kHeaderOnly},
    Method{"/etcdserverpb.Auth/RoleGrantPermission", "RoleGrantPermission", &kRoleGrant,
           &kHeaderOnly},
    Method{"/etcdserverpb.Auth/RoleRevokePermission", "RoleRevokePermission", &kRoleRevoke,
           &kHeaderOnly},
    Method{"/v3lockpb.Lock/Lock", "Lock", &kLockRequest, &kLockResponse},
    Method{"/v3lockpb.Lock/Unlock", "Unlock", &kUnlockRequest, &kHeaderOnly},
    Method{"/v3electionpb.Election/Campaign", "Campaign", &kCampaignRequest, &kCampaignResponse},
    Method{"/v3electionpb.Election/Proclaim", "Proclaim", &kProclaimRequest, &kHeaderOnly},
    Method{"/v3electionpb.Election/Leader", "Leader", &kName, &kLeaderResponse},
    Method{"/v3electionpb.Election/Observe", "Observe", &kName, &kLeaderResponse},
    Method{"/v3electionpb.Election/Resign", "Resign", &kResignRequest, &kHeaderOnly},
};

constexpr std::size_t kRangeIndex = 2;  // Put follows: the two requests read alike
static_assert(kMethods[kRangeIndex].request == &kRangeRequest);
static_assert(kMethods[kRangeIndex + 1].request == &kPutRequest);

// Whether a message's fields fit a table one level deep: numbers and wire types it knows.
bool fits_shallow(const MessageSpec& spec, ByteSpan bytes) {
  pb::Reader reader(bytes);
  pb::Field field;
  while (reader.next(field)) {
    if (spec_index(spec, field) < 0) return false;
  }
  return !reader.malformed();
}

// -1 when a field does not fit the table (an unknown number or wire type, a bool that is neither
// 0 nor 1, or a nested message that does not fit its own), else the fields that fit, nested
// messages counting twice.
int fit_score(const MessageSpec& spec, ByteSpan bytes) {
  pb::Reader reader(bytes);
  pb::Field field;
  int score = 0;
  while (reader.next(field)) {
    const int index = spec_index(spec, field);
    if (index < 0) return -1;
    const FieldSpec& known = spec.fields[static_cast<std::size_t>(index)];
    if (known.kind == FieldKind::kBool && field.value > 1) return -1;  // encoders write 0 or 1
    const bool nested = known.message != nullptr;
    if (nested && !fits_shallow(*known.message, field.bytes)) return -1;
    score += nested ? 2 : 1;
  }
  return reader.malformed() ? -1 : score;
}

// A Range's second field is where its range ends: "\0" (every key from the first), or the key's
// prefix end (its last byte counted up: /app/ -> /app0). A Put's is any value.
bool looks_like_range(ByteSpan request) {
  pb::Reader reader(request);
  pb::Field field;
  ByteSpan key;
  ByteSpan end;
  bool has_end = false;
  while (reader.next(field)) {
    if (field.number == kRangeRequestFields[0].number) key = field.bytes;
    if (field.number == kRangeRequestFields[1].number) {
      end = field.bytes;
      has_end = true;
    }
  }
  if (!has_end || (end.size() == 1 && end[0] == 0)) return true;
  if (end.empty() || end.size() > key.size()) return false;
  const std::size_t last = end.size() - 1;
  return std::equal(end.begin(), end.begin() + static_cast<std::ptrdiff_t>(last), key.begin()) &&
         end[last] == static_cast<std::uint8_t>(key[last] + 1);
}

std::int64_t header_revision(ByteSpan header) {
  pb::Reader reader(header);
  pb::Field field;
  std::int64_t revision = 0;
  while (reader.next(field)) {
    if (field.number == kHeaderFields[2].number) revision = static_cast<std::int64_t>(field.value);
  }
  return revision;
}

}  // namespace

WatchFacts watch_facts(ByteSpan watch_response) {
  WatchFacts facts;
  pb::Reader reader(watch_response);
  pb::Field field;
  while (reader.next(field)) {
    switch (field.number) {
      case kWatchResponseFields[0].number:
        facts.revision = header_revision(field.bytes);
        break;
      case kWatchResponseFields[1].number:
        facts.watch_id = static_cast<std::int64_t>(field.value);
        break;
      case kWatchResponseFields[2].number:
        facts.created = field.value != 0;
        break;
      case kWatchResponseFields[3].number:
        facts.canceled = field.value != 0;
        break;
      default:
        break;
    }
  }
  WatchEvents events(watch_response);
  WatchEvent event;
  while (events.next(event)) ++(event.is_delete ? facts.deletes : facts.puts);
  return facts;
}

bool WatchEvents::next(WatchEvent& event) {
  pb::Reader reader(response_.subspan(offset_));
  pb::Field field;
  while (reader.next(field)) {
    if (field.number != kWatchResponseFields[7].number || field.type != pb::WireType::kLength) {
      continue;
    }
    offset_ = response_.size() - reader.left();
    event.bytes = field.bytes;
    pb::Reader members(field.bytes);
    pb::Field member;
    event.is_delete = false;
    while (members.next(member)) {
      if (member.number == kEventFields[0].number) event.is_delete = member.value == 1;
    }
    return true;
  }
  offset_ = response_.size();
  return false;
}

const MessageSpec& watch_event_spec() {
  return kEventLine;
}

bool is_watch(const Method* method) {
  return method != nullptr && method->response == &kWatchResponse;
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

std::int64_t response_revision(ByteSpan response) {
  pb::Reader reader(response);
  pb::Field field;
  while (reader.next(field)) {
    if (field.number == kHeaderOnlyFields[0].number && field.type == pb::WireType::kLength) {
      return header_revision(field.bytes);
    }
  }
  return 0;
}

ByteSpan request_key(ByteSpan request) {
  pb::Reader reader(request);
  pb::Field field;
  while (reader.next(field)) {
    if (field.number == kRangeRequestFields[0].number) return field.bytes;
  }
  return {};
}

std::int64_t lease_ttl(ByteSpan lease_response) {
  pb::Reader reader(lease_response);
  pb::Field field;
  std::int64_t ttl = 0;
  while (reader.next(field)) {
    if (field.number == kLeaseKeepAliveResponseFields[2].number) {
      ttl = static_cast<std::int64_t>(field.value);
    }
  }
  return ttl;
}

namespace {

// The first varint field `number` of a message, 0 when absent.
std::int64_t varint_field(ByteSpan message, std::uint32_t number) {
  pb::Reader reader(message);
  pb::Field field;
  while (reader.next(field)) {
    if (field.number == number && field.type == pb::WireType::kVarint) {
      return static_cast<std::int64_t>(field.value);
    }
  }
  return 0;
}

// The first length-delimited field `number` of a message, empty when absent.
ByteSpan bytes_field(ByteSpan message, std::uint32_t number) {
  pb::Reader reader(message);
  pb::Field field;
  while (reader.next(field)) {
    if (field.number == number && field.type == pb::WireType::kLength) return field.bytes;
  }
  return {};
}

}  // namespace

std::int64_t put_lease(ByteSpan put_request) {
  return varint_field(put_request, kPutRequestFields[2].number);
}

std::int64_t lease_id(ByteSpan message, bool request) {
  return varint_field(message,
                      request ? kIdFields[0].number : kLeaseKeepAliveResponseFields[1].number);
}

ByteSpan event_key(const WatchEvent& event) {
  return bytes_field(bytes_field(event.bytes, kEventFields[1].number), kKeyValueFields[0].number);
}

const Method* guess_method(ByteSpan message, bool request) {
  if (message.empty()) return nullptr;  // fits every method
  const Method* best = nullptr;
  int best_score = 0;
  for (const Method& method : kMethods) {
    const int score = fit_score(request ? *method.request : *method.response, message);
    if (score > best_score) {
      best = &method;
      best_score = score;
    }
  }
  const bool range_or_put = best == &kMethods[kRangeIndex] && !looks_like_range(message);
  return range_or_put ? &kMethods[kRangeIndex + 1] : best;
}

bool fits(const Method* method, ByteSpan message, bool request) {
  return method != nullptr &&
         fit_score(request ? *method->request : *method->response, message) >= 0;
}

const Method* find_method(std::string_view path) {
  for (const Method& method : kMethods) {
    if (method.path == path) return &method;
  }
  return nullptr;
}

}  // namespace zkdump::etcd
