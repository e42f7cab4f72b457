// SPDX-License-Identifier: GPL-2.0-only
//
// libFuzzer target: the C++ decoder on arbitrary bytes, plus the dtb path.
// An accepted input must re-encode to a blob that decodes to the same model,
// and its JSON spec must read back as that model.  An accepted v2 or v3
// model must give the same bytes through the kernel-C encoder
// (pkh_encode.c, the kernel's own handover for kexec_file_load) as through
// encode().
#include <pkhandover/handover.hpp>

#include "../unit/kernel_encode.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::span<const std::uint8_t> input(data, size);
	auto model = pkh::decode(input);
	if (model) {
		auto again = pkh::encode(*model);
		if (!again || !pkh::decode(*again) || *pkh::decode(*again) != *model)
			std::abort();
		if (model->abi_major >= 2) {
			const pkh::kencode::Encoded kernel = pkh::kencode::kernel_encode(*model);
			if (kernel.status != 0 || kernel.blob != *again || kernel.blob.size() > kernel.bound)
				std::abort();
		}
		(void)pkh::to_text(*model);
		// The JSON spec of an accepted blob reads back as the same model.
		auto spec = pkh::parse_spec(pkh::to_json(*model));
		if (!spec || *spec != *model)
			std::abort();
	}
	(void)pkh::blob_from_file_bytes(pkh::Bytes(data, data + size));
	return 0;
}
