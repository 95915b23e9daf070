#pragma once
// What the fuzz targets share: a scratch directory for the decoders that read files, and the
// "chunked" input shape that lets the fuzzer write frames whose checksums hold.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace livekv::fuzz {

// The input as text, without a copy.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A directory of this process's own, created on first use under /dev/shm when it exists (no disk
// I/O per input) or $TMPDIR, and removed at exit. Not thread-safe (libFuzzer runs one input at a
// time).
const std::string& scratch_dir();

// Replaces `path` with `bytes`; aborts when it cannot (the target cannot go on without it).
void write_file(const std::string& path, std::string_view bytes);

// Separates the chunks of a chunked input (below). In the dictionaries, so mutations add and
// remove chunks.
inline constexpr std::string_view chunk_separator = "FRM|";

// Splits `in` at every chunk_separator.
std::vector<std::string_view> split_chunks(std::string_view in);

// A chunked input made into the bytes of a framed file (wal/frame.hpp): each chunk is one frame,
// its first byte the frame type and the rest the payload; the checksums are computed, so the
// fuzzer reaches the decoders behind them. An empty chunk is skipped.
std::string frame_chunks(std::string_view in);

// The inverse, for writing seeds: chunks that frame_chunks() turns into `frames` (a sequence of
// whole frames as the writers make them).
std::string chunks_of_frames(std::string_view frames);

}  // namespace livekv::fuzz
