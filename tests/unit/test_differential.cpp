// SPDX-License-Identifier: GPL-2.0-only
//
// The C++ decoder and the kernel-C parser are two independent readers of
// the same ABI.  On every fixture they must agree on the verdict, the code
// and the path; on good blobs, on what was preserved.
#include "../tools/fixture_models.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace pkh;
using namespace pkh::test;

TEST_CASE("both readers accept the golden blobs and see the same state", "[differential]")
{
	for (const char *name : {"example", "small", "minimal", "optional-items-minor-3"}) {
		DYNAMIC_SECTION(name)
		{
			const Bytes blob = load(data_dir() + "/good/" + name + ".blob");
			auto model = decode(blob);
			REQUIRE(model.ok());
			const KernelParse kernel = kernel_parse(blob);
			INFO(kernel.where << ": " << kernel.why);
			REQUIRE(kernel.code == "OK");
			unsigned files = 0, extents = 0, iova = 0;
			for (const auto &region : model->regions) {
				files += region.files.size();
				for (const auto &file : region.files)
					extents += file.extents.size();
			}
			for (const auto &device : model->devices)
				iova += device.iova_map.size();
			CHECK(kernel.regions == model->regions.size());
			CHECK(kernel.files == files);
			CHECK(kernel.extents == extents);
			CHECK(kernel.units == model->iommu_units.size());
			CHECK(kernel.domains == model->iommu_domains.size());
			CHECK(kernel.devices == model->devices.size());
			CHECK(kernel.iova == iova);
		}
	}
}

TEST_CASE("both readers refuse each hostile fixture with the same code and path", "[differential]")
{
	for (const auto &entry : manifest()) {
		DYNAMIC_SECTION(entry.name)
		{
			const Bytes blob = load(data_dir() + "/bad/" + entry.name + ".blob");
			const KernelParse kernel = kernel_parse(blob, entry.constraints);
			INFO("kernel-C: " << kernel.code << " " << kernel.where << ": " << kernel.why);
			CHECK(kernel.code == entry.code);
			CHECK(kernel.where == entry.where);
			CHECK_FALSE(kernel.why.empty());
		}
	}
}

TEST_CASE("the kernel-C parser publishes nothing from an invalid blob", "[differential]")
{
	// Faults late in the walk (the last device) must not leave earlier
	// regions published: the new kernel adopts all or nothing.
	for (const char *name : {"duplicate-bdf", "iova-past-address-width", "device-domain-missing"}) {
		const KernelParse kernel = kernel_parse(load(data_dir() + "/bad/" + std::string(name) + ".blob"));
		INFO(name);
		CHECK(kernel.code != "OK");
		CHECK(kernel.regions == 0);
		CHECK(kernel.files == 0);
		CHECK(kernel.units == 0);
		CHECK(kernel.devices == 0);
	}
}
