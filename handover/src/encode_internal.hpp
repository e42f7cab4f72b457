// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <pkhandover/handover.hpp>

namespace pkh::detail {

// Encodes without validating first.  Only for building hostile fixtures in
// the tests: everything else goes through encode().
Result<Bytes> encode_unchecked(const Handover &handover);

} // namespace pkh::detail
