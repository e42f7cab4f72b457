// SPDX-License-Identifier: GPL-2.0-only
//
// inspect --live on an ABI v2 handover: the blob names the files of a
// region, not their blocks; the mounted pkernfs knows them, and FIEMAP
// gives them to userspace.
#pragma once

#include <pkhandover/handover.hpp>

#include <string>

namespace pkh::tool
{

// The directory pkernfs is mounted on, from /proc/self/mounts; an empty
// string when it is not mounted.
[[nodiscard]] Result<std::string> find_pkernfs_mount(const std::string &mounts = "/proc/self/mounts");

// The blocks of each file of @h's regions that hold files, read with FIEMAP
// from @dir/<name>, as a readable section for inspect's output.  A file
// that is missing, is another inode or has a block outside its region is
// an error naming it.
[[nodiscard]] Result<std::string> live_extents_text(const Handover &h, const std::string &dir);

} // namespace pkh::tool
