#pragma once
// The payload of a `commit` frame: one store commit, i.e. every write of one revision.
//
//   commit  := format:u8(=2) term:u64 index:u64 revision:u64 time_ms:u64 origin:u8 op_count:u32 op*
//   origin  := 0 write | 1 cas | 2 batch          (what the client asked for; the live feed names it)
//   op      := kind:u8 key:bytes32 [ kind=put: expires_at_ms:u64 content_type:bytes32 value:bytes32 ]
//   kind    := 1 put | 2 delete | 3 expire
//   bytes32 := length:u32 byte[length]
//
// Format 1 is format 2 without the origin byte (read as origin 0); it is still accepted.
// term and index are reserved for Raft (0 until replication exists): a replicated log entry is
// exactly this payload, so there stays one record format and one commit path.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/status.hpp"
#include "livekv/store/commit_log.hpp"

namespace livekv::wal {

// Appends the encoded commit to `out`.
void encode_commit(std::string& out, const store::logged_commit& c);

// Decodes a payload. Errors: errc::internal describing what is malformed (a frame whose checksum
// passed but whose content does not parse means a bug or a newer format, never a torn write).
result<store::replayed_commit> decode_commit(std::string_view payload);

}  // namespace livekv::wal
