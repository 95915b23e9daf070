#include "livekv/wal/snapshot.hpp"

#include <chrono>
#include <filesystem>

#include "livekv/io/append_file.hpp"
#include "livekv/util/byte_coding.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/frame.hpp"

namespace livekv::wal {

namespace fs = std::filesystem;

namespace {

constexpr std::uint8_t format_v1 = 1;
constexpr std::size_t keys_per_chunk = 1024;       // bounds how long a writer may wait on a chunk
constexpr std::size_t flush_bytes = 1 << 20;        // write(2) granularity
constexpr std::size_t frame_budget = 4 << 20;       // an entries frame stays far below max_frame_payload

}  // namespace

result<snapshot_info> write_snapshot(const store::state_machine& store, const std::string& dir, std::uint64_t start_revision,
                                     const std::function<status()>& before_publish) {
  const auto t0 = std::chrono::steady_clock::now();
  snapshot_info info;
  info.start_revision = start_revision;
  info.time_ms = store.time_source().now_ms();
  info.path = (fs::path(dir) / snapshot_name(start_revision)).string();
  const std::string tmp = info.path + ".tmp";
  auto file = io::append_file::open(tmp, /*truncate=*/true);
  if (!file) return file.error();

  std::string out, payload;
  payload.push_back(static_cast<char>(format_v1));
  util::put_fixed<std::uint64_t>(payload, start_revision);
  util::put_fixed<std::uint64_t>(payload, static_cast<std::uint64_t>(info.time_ms));
  append_frame(out, frame_type::snapshot_header, payload);

  std::optional<std::string> after;
  std::string body;  // the entries of the frame being built
  std::uint32_t in_frame = 0;
  const auto end_frame = [&] {
    if (in_frame == 0) return;
    payload.clear();
    util::put_fixed<std::uint32_t>(payload, in_frame);
    payload.append(body);
    append_frame(out, frame_type::snapshot_entries, payload);
    body.clear();
    in_frame = 0;
  };
  for (;;) {
    const auto page = store.list({"", after, keys_per_chunk});
    if (page.items.empty()) break;
    for (const auto& item : page.items) {
      // Frames are cut by size as well as by count: 1024 values of up to 1 MiB would not fit one.
      if (body.size() >= frame_budget) end_frame();
      util::put_bytes32(body, item.key);
      util::put_bytes32(body, item.e.val->content_type());
      util::put_bytes32(body, item.e.val->bytes());
      util::put_fixed<std::uint64_t>(body, item.e.create_revision);
      util::put_fixed<std::uint64_t>(body, item.e.mod_revision);
      util::put_fixed<std::uint64_t>(body, item.e.version);
      util::put_fixed<std::uint64_t>(body, static_cast<std::uint64_t>(item.e.expires_at_ms));
      ++in_frame;
    }
    end_frame();
    info.entries += page.items.size();
    if (out.size() >= flush_bytes) {
      if (auto s = file->write_all(out); !s) return s;
      out.clear();
    }
    if (!page.next) break;
    after = page.next;
  }
  info.end_revision = store.revision();
  payload.clear();
  util::put_fixed<std::uint64_t>(payload, info.entries);
  util::put_fixed<std::uint64_t>(payload, info.end_revision);
  append_frame(out, frame_type::snapshot_footer, payload);
  if (auto s = file->write_all(out); !s) return s;
  if (auto s = file->sync(); !s) return s;
  info.bytes = file->size();
  file->close();
  if (auto s = before_publish(); !s) return s;
  std::error_code ec;
  fs::rename(tmp, info.path, ec);
  if (ec) return status(errc::storage_failed, "cannot rename " + tmp + ": " + ec.message());
  if (auto s = io::fsync_dir(dir); !s) return s;
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return info;
}

result<snapshot_info> load_snapshot(store::state_machine& store, const std::string& path) {
  auto data = io::read_whole_file(path);
  if (!data) return data.error();
  snapshot_info info;
  info.path = path;
  info.bytes = data->size();
  const auto damaged = [&](std::uint64_t offset, const std::string& why) {
    return status(errc::internal, "snapshot " + path + " is damaged at offset " + std::to_string(offset) + ": " + why);
  };
  // The footer, the last frame, says how many keys follow: size the store once, not by doubling.
  {
    frame_reader scan(*data);
    frame f;
    std::optional<std::uint64_t> count;
    while (scan.next(f) == frame_reader::result::ok)
      if (f.type == frame_type::snapshot_footer) count = util::byte_reader(f.payload).fixed<std::uint64_t>();
    if (count && *count <= data->size() / 16) store.reserve(static_cast<std::size_t>(*count));
  }
  frame_reader reader(*data);
  frame f;
  bool header = false;
  for (;;) {
    const auto r = reader.next(f);
    if (r == frame_reader::result::end) return damaged(reader.offset(), "no footer (incomplete file)");
    if (r != frame_reader::result::ok) return damaged(reader.offset(), reader.reason());
    util::byte_reader in(f.payload);
    if (!header) {
      const auto fmt = in.fixed<std::uint8_t>();
      const auto start = in.fixed<std::uint64_t>();
      const auto time = in.fixed<std::uint64_t>();
      if (f.type != frame_type::snapshot_header || !fmt || *fmt != format_v1 || !start || !time)
        return damaged(f.offset, "bad header");
      info.start_revision = *start;
      info.time_ms = static_cast<std::int64_t>(*time);
      header = true;
      continue;
    }
    if (f.type == frame_type::snapshot_footer) {
      const auto count = in.fixed<std::uint64_t>();
      const auto end = in.fixed<std::uint64_t>();
      if (!count || !end || *count != info.entries) return damaged(f.offset, "footer does not match the entries");
      info.end_revision = *end;
      store.set_revision(*end);
      return info;
    }
    if (f.type != frame_type::snapshot_entries) return damaged(f.offset, "unexpected frame type");
    const auto count = in.fixed<std::uint32_t>();
    if (!count) return damaged(f.offset, "bad entries frame");
    for (std::uint32_t i = 0; i < *count; ++i) {
      const auto key = in.bytes32();
      const auto ct = in.bytes32();
      const auto val = in.bytes32();
      const auto create = in.fixed<std::uint64_t>();
      const auto mod = in.fixed<std::uint64_t>();
      const auto version = in.fixed<std::uint64_t>();
      const auto expires = in.fixed<std::uint64_t>();
      if (!key || !ct || !val || !create || !mod || !version || !expires) return damaged(f.offset, "truncated entry");
      store.load_entry(*key, store::entry{store::make_value(*val, *ct), *create, *mod, *version,
                                          static_cast<std::int64_t>(*expires)});
      ++info.entries;
    }
  }
}

result<std::optional<std::uint64_t>> read_snapshot_end_revision(const std::string& path) {
  auto data = io::read_whole_file(path);
  if (!data) return data.error();
  std::optional<std::uint64_t> end;
  frame_reader reader(*data);
  frame f;
  for (;;) {
    const auto r = reader.next(f);
    if (r == frame_reader::result::corrupt) {
      reader.skip_damage();  // the footer is the last frame: look past damage for it
      continue;
    }
    if (r != frame_reader::result::ok) break;
    if (f.type != frame_type::snapshot_footer) continue;
    util::byte_reader in(f.payload);
    const auto count = in.fixed<std::uint64_t>();
    const auto rev = in.fixed<std::uint64_t>();
    if (count && rev) end = *rev;
  }
  return end;
}

}  // namespace livekv::wal
