// Record decoders, one per jute record (zookeeper.jute). Internal to the protocol module.
#pragma once

#include "zkdump/zk/protocol.hpp"

namespace zkdump::zk::records {

// Record parts other records share.
void acl_list(Reader& reader, FieldWriter& writer);
void string_list(Reader& reader, FieldWriter& writer, std::string_view key,
                 std::int32_t max_listed = INT32_MAX);

// Requests.
void path_only(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void path_watch(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void create(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void create_ttl(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void delete_node(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void set_data(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void set_acl(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void check_version(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void multi(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void reconfig(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void watches_by_type(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void auth(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void set_watches(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void set_watches2(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void sasl(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void add_watch(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void header_only(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);
void no_fields(Reader&, const RequestContext&, FieldWriter&, RequestFacts&);

// Reply bodies.
void empty_reply(Reader&, FieldWriter&);
void path_reply(Reader&, FieldWriter&);
void path_stat_reply(Reader&, FieldWriter&);
void path_detail_reply(Reader&, FieldWriter&);
void stat_reply(Reader&, FieldWriter&);
void data_stat_reply(Reader&, FieldWriter&);
void acl_stat_reply(Reader&, FieldWriter&);
void children_reply(Reader&, FieldWriter&);
void children_stat_reply(Reader&, FieldWriter&);
void multi_reply(Reader&, FieldWriter&);
void sasl_reply(Reader&, FieldWriter&);
void child_count_reply(Reader&, FieldWriter&);
void error_code_reply(Reader&, FieldWriter&);
void who_am_i_reply(Reader&, FieldWriter&);

}  // namespace zkdump::zk::records
