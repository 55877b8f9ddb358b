// Durable file-system steps of the checkpoint commit protocol: fsync of a file and of a folder,
// rename followed by an fsync of the folder, and atomic replacement of a small text file
// (write <path>.tmp, fsync, rename, fsync the folder). Failures throw r1::Error with errno's text.
#pragma once
#include <string>

namespace r1 {

void fsync_file(const std::string& path);
void fsync_directory(const std::string& dir);
// The folder holding `path` ("." when it has none).
std::string parent_directory(const std::string& path);
// rename(from, to) (atomic within one file system), then fsync of to's folder.
void rename_durably(const std::string& from, const std::string& to);
// Replaces `path` by a file holding `content`; a reader sees the old or the new content, never a mix.
void replace_file_atomically(const std::string& path, const std::string& content);

}  // namespace r1
