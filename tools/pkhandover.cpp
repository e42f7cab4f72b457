// SPDX-License-Identifier: GPL-2.0-only
//
// pkhandover: build, validate, inspect and diff live-update handover blobs.
//
// Exit codes: 0 ok (or "same" for diff), 1 invalid input or "different",
// 2 usage or I/O error.
#include <pkhandover/handover.hpp>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <endian.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

extern "C" {
#include <libfdt.h>
}

#include "config.h"
#include "live_extents.hpp"
#include "util.hpp"

namespace
{

constexpr int exit_ok = 0;
constexpr int exit_invalid = 1;
constexpr int exit_usage = 2;

// Where --live finds the handover: x86 kernels show their setup_data
// entries, device-tree kernels (arm64) the dtb they booted with; a blob too
// large for /chosen is passed by range, and only the kernel that accepted it
// can show its bytes.
const char *const default_setup_data_dir = "/sys/kernel/boot_params/setup_data";
const char *const default_fdt = "/sys/firmware/fdt";
const char *const default_received = "/sys/kernel/pkhandover/received";

int report(const std::string &subject, const pkh::Error &error)
{
	// Errors about a file name the file themselves in `where`.
	const bool named = subject.empty() || error.where == subject;
	std::cerr << "pkhandover: " << (named ? "" : subject + ": ") << error.message() << "\n";
	return error.code == pkh::ErrorCode::IO ? exit_usage : exit_invalid;
}

// A file, or stdin for "-", up to the size a blob or dtb may have.
pkh::Result<pkh::Bytes> read_input(const std::string &path)
{
	if (path != "-")
		return pkh::util::read_file(path, pkh::util::max_blob_file_size);
	return pkh::util::read_all(STDIN_FILENO, "stdin", pkh::util::max_blob_file_size);
}

// Writes all of `bytes` to `path`; "-" is stdout.
pkh::Status write_output(const std::string &path, std::span<const std::uint8_t> bytes)
{
	if (path == "-")
		return pkh::util::write_all(STDOUT_FILENO, path, bytes);
	pkh::util::FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	if (fd.get() < 0)
		return pkh::Error{pkh::ErrorCode::IO, path, fmt::format("cannot create: {}", std::strerror(errno))};
	if (auto written = pkh::util::write_all(fd.get(), path, bytes); !written)
		return written;
	if (fd.close() != 0)
		return pkh::Error{pkh::ErrorCode::IO, path, fmt::format("close failed: {}", std::strerror(errno))};
	return pkh::Ok{};
}

bool exists(const std::string &path)
{
	struct stat st {
	};
	return ::stat(path.c_str(), &st) == 0;
}

// The <address, size> of /chosen/linux,pkhandover-range in a dtb that
// blob_from_dtb() has checked and found to pass its blob by range.
std::pair<std::uint64_t, std::uint64_t> chosen_range(std::span<const std::uint8_t> dtb)
{
	int length = 0;
	const int chosen = fdt_path_offset(dtb.data(), "/chosen");
	const void *range = chosen < 0 ? nullptr : fdt_getprop(dtb.data(), chosen, PKH_CHOSEN_RANGE_PROP, &length);
	if (!range || length != 16)
		return {0, 0};
	std::uint64_t cells[2];
	std::memcpy(cells, range, sizeof(cells));
	return {be64toh(cells[0]), be64toh(cells[1])};
}

struct BlobSource {
	std::string file;
	bool live = false;
	std::string setup_data_dir = default_setup_data_dir;
	std::string fdt = default_fdt;
	std::string received = default_received;
	// Given on the command line: a named source is the one --live reads.
	const CLI::Option *setup_data_dir_option = nullptr;
	const CLI::Option *fdt_option = nullptr;
	// What --live read (or tried to), set by load().
	std::string live_name;

	std::string name() const { return live ? live_name : file; }

	pkh::Result<pkh::Bytes> load()
	{
		if (live)
			return load_live();
		if (file.empty())
			return pkh::Error{pkh::ErrorCode::IO, "", "give a FILE or --live"};
		auto bytes = read_input(file);
		if (!bytes)
			return bytes.error();
		return pkh::blob_from_file_bytes(std::move(*bytes));
	}

private:
	// x86 when the setup_data directory exists, else the device tree; an
	// option that names one of them picks it whether it exists or not, so
	// its own error (no such directory) is the one reported.
	pkh::Result<pkh::Bytes> load_live()
	{
		const bool named_setup_data = setup_data_dir_option && setup_data_dir_option->count() > 0;
		const bool named_fdt = fdt_option && fdt_option->count() > 0;
		const bool try_setup_data = named_setup_data || !named_fdt;
		const bool try_fdt = named_fdt || !named_setup_data;
		if (try_setup_data && (!try_fdt || exists(setup_data_dir))) {
			live_name = setup_data_dir;
			return pkh::blob_from_setup_data_dir(setup_data_dir);
		}
		if (try_fdt && (!try_setup_data || exists(fdt)))
			return load_live_fdt();
		live_name.clear();
		return pkh::Error{pkh::ErrorCode::IO, "",
				  fmt::format("--live: neither {} (x86 setup_data) nor {} (the device tree this "
					      "kernel booted with) exists",
					      setup_data_dir, fdt)};
	}

	pkh::Result<pkh::Bytes> load_live_fdt()
	{
		live_name = fdt;
		auto dtb = pkh::util::read_file(fdt, pkh::util::max_blob_file_size);
		if (!dtb)
			return dtb.error();
		auto blob = pkh::blob_from_dtb(*dtb);
		// UNSUPPORTED is a well-formed range property: the blob is in
		// memory the kernel reserved, and what the kernel accepted of it
		// is in `received`.  The kernel rejects before it creates that
		// file, so its absence is the kernel's verdict.
		if (blob || blob.error().code != pkh::ErrorCode::UNSUPPORTED)
			return blob;
		live_name = received;
		if (!exists(received)) {
			const auto [address, size] = chosen_range(*dtb);
			return pkh::Error{pkh::ErrorCode::MISSING_NODE, received,
					  fmt::format("does not exist: this kernel did not accept the handover that {} "
						      "passes by range (/chosen/{}: {} bytes at {:#x}); the kernel "
						      "log (dmesg) says why",
						      fdt, PKH_CHOSEN_RANGE_PROP, size, address)};
		}
		return pkh::util::read_file(received, pkh::util::max_blob_file_size);
	}
};

void add_source_options(CLI::App *command, BlobSource &source)
{
	auto *file =
		command->add_option("FILE", source.file, "a raw blob, or a dtb carrying one in /chosen; - for stdin");
	command->add_flag("--live", source.live,
			  "read the blob this kernel received: its setup_data entry of the pkhandover type "
			  "(x86), else /chosen of the device tree it booted with (arm64)")
		->excludes(file);
	source.setup_data_dir_option =
		command->add_option("--setup-data-dir", source.setup_data_dir, "where --live looks on x86")
			->capture_default_str();
	source.fdt_option = command->add_option("--fdt", source.fdt,
						"the device tree --live reads when there is no setup_data "
						"directory (arm64)")
				    ->capture_default_str();
	command->add_option("--received", source.received,
			    "what --live reads when the device tree passes the blob by range: the bytes the "
			    "kernel accepted")
		->capture_default_str();
}

// "START:SIZE[:WHAT]" with numbers in any base strtoull accepts.
pkh::PhysRange parse_range(const std::string &text)
{
	pkh::PhysRange range;
	const auto colon = text.find(':');
	if (colon == std::string::npos)
		throw CLI::ValidationError("range", "expected START:SIZE[:WHAT], got " + text);
	std::size_t used = 0;
	try {
		range.start = std::stoull(text.substr(0, colon), &used, 0);
		if (used != colon)
			throw std::invalid_argument("start");
		const auto rest = text.substr(colon + 1);
		const auto second = rest.find(':');
		const auto size_text = rest.substr(0, second);
		range.size = std::stoull(size_text, &used, 0);
		if (used != size_text.size())
			throw std::invalid_argument("size");
		if (second != std::string::npos)
			range.what = rest.substr(second + 1);
	} catch (const std::logic_error &) {
		throw CLI::ValidationError("range", "expected START:SIZE[:WHAT] with numbers, got " + text);
	}
	return range;
}

struct Counts {
	std::size_t files = 0, extents = 0, mappings = 0, metadata_ranges = 0;
};

Counts count(const pkh::Handover &h)
{
	Counts counts;
	for (const auto &region : h.regions) {
		counts.metadata_ranges += region.metadata.size();
		counts.files += region.files.size();
		for (const auto &file : region.files)
			counts.extents += file.extents.size();
	}
	for (const auto &device : h.devices)
		counts.mappings += device.iova_map.size();
	return counts;
}

std::string summary(const pkh::Handover &h, std::size_t blob_bytes)
{
	const auto [files, extents, mappings, metadata_ranges] = count(h);
	// v1 blobs list the files' extents, v2 blobs the regions' metadata.
	const std::string regions_files =
		h.abi_major == 1 ? fmt::format("{} regions, {} files ({} extents)", h.regions.size(), files, extents)
				 : fmt::format("{} regions ({} metadata ranges), {} files", h.regions.size(),
					       metadata_ranges, files);
	return fmt::format("ABI {}.{}, generation {}, {}, {} iommu units, {} domains, {} devices ({} iova ranges), "
			   "{} bytes",
			   h.abi_major, h.abi_minor, h.generation, regions_files, h.iommu_units.size(),
			   h.iommu_domains.size(), h.devices.size(), mappings, blob_bytes);
}

// inspect --live of a v2 handover: the blob names the files, the mounted
// pkernfs knows their blocks.
int print_live_extents(const pkh::Handover &h, std::string dir)
{
	bool files = false;
	for (const auto &region : h.regions)
		files = files || !region.files.empty();
	if (!files)
		return exit_ok;
	if (dir.empty()) {
		auto found = pkh::tool::find_pkernfs_mount();
		if (!found)
			return report("", found.error());
		dir = *found;
	}
	if (dir.empty()) {
		std::cout << "file blocks: pkernfs is not mounted (they are in the carve-out's metadata; mount "
			     "pkernfs, or give --pkernfs-dir, to list them)\n";
		return exit_ok;
	}
	auto text = pkh::tool::live_extents_text(h, dir);
	if (!text)
		return report("", text.error());
	std::cout << *text;
	return exit_ok;
}

// validate --json: the verdict and the same figures as the text line, or
// the error with its code, path and reason apart.
std::string validate_json(const std::string &source, const pkh::Result<pkh::Handover> &handover, std::size_t blob_bytes)
{
	nlohmann::ordered_json out = {{"source", source}, {"valid", handover.ok()}};
	if (!handover) {
		const pkh::Error &error = handover.error();
		out["error"] = {{"code", pkh::error_name(error.code)},
				{"where", error.where},
				{"why", error.why},
				{"message", error.message()}};
		return out.dump(2);
	}
	const pkh::Handover &h = *handover;
	const Counts counts = count(h);
	out["abi"] = fmt::format("{}.{}", h.abi_major, h.abi_minor);
	out["generation"] = h.generation;
	out["regions"] = h.regions.size();
	out["metadata_ranges"] = counts.metadata_ranges;
	out["files"] = counts.files;
	out["extents"] = counts.extents;
	out["iommu_units"] = h.iommu_units.size();
	out["iommu_domains"] = h.iommu_domains.size();
	out["devices"] = h.devices.size();
	out["iova_ranges"] = counts.mappings;
	out["bytes"] = blob_bytes;
	return out.dump(2);
}

} // namespace

int main(int argc, char **argv)
{
	CLI::App app{"pkhandover: build, validate, inspect and diff pkernfs live-update handover blobs\n"
		     "Exit status: 0 ok/same, 1 invalid/different, 2 usage or I/O error."};
	app.set_version_flag("--version", std::string(PACKAGE_STRING) + " (handover ABI " +
						  std::to_string(PKH_ABI_MAJOR) + "." + std::to_string(PKH_ABI_MINOR) +
						  ")");
	app.require_subcommand(1);

	auto *example = app.add_subcommand("example", "print a realistic JSON spec");

	std::string spec_path, output_path;
	auto *build = app.add_subcommand("build", "build a blob from a JSON spec");
	build->add_option("SPEC", spec_path, "JSON spec file, - for stdin")->required();
	build->add_option("-o,--output", output_path, "blob file to write, - for stdout")->required();

	BlobSource validate_source;
	std::vector<std::string> ram_ranges, reserved_ranges;
	auto *validate = app.add_subcommand("validate", "check a blob");
	add_source_options(validate, validate_source);
	// One range per option, so a FILE after it stays the FILE.
	validate->add_option("--ram", ram_ranges, "START:SIZE of system RAM the regions must lie in (repeatable)")
		->allow_extra_args(false);
	validate->add_option("--reserved", reserved_ranges,
			     "START:SIZE[:WHAT] the boot needs, which regions must not overlap (repeatable)")
		->allow_extra_args(false);
	bool validate_json_output = false;
	validate->add_flag("--json", validate_json_output,
			   "print the verdict as JSON on stdout: the figures, or the error's code, where and why");

	BlobSource inspect_source;
	bool inspect_json = false;
	auto *inspect = app.add_subcommand("inspect", "show what a blob preserves");
	add_source_options(inspect, inspect_source);
	inspect->add_flag("--json", inspect_json, "print the JSON spec (accepted by build, same bytes)");
	std::string pkernfs_dir;
	inspect->add_option("--pkernfs-dir", pkernfs_dir,
			    "with --live and an ABI v2 handover: where pkernfs is mounted, to list every file's "
			    "blocks with FIEMAP (default: found in /proc/self/mounts)");

	std::string diff_a, diff_b;
	auto *diff = app.add_subcommand("diff", "semantic differences between two blobs");
	diff->add_option("A", diff_a, "first blob or dtb")->required();
	diff->add_option("B", diff_b, "second blob or dtb")->required();
	bool diff_json = false;
	diff->add_flag("--json", diff_json,
		       "print the differences as a JSON array of {kind, what, before, after} objects ([] when same)");

	// CLI11 reports an unknown first word as "a subcommand is required";
	// name it instead.
	if (argc > 1) {
		const std::string first = argv[1];
		const bool known = first == "-h" || first == "--help" || first == "--version";
		bool is_command = false;
		for (const auto *command : app.get_subcommands({}))
			is_command = is_command || command->get_name() == first;
		if (!known && !is_command) {
			std::cerr << "pkhandover: unknown " << (first[0] == '-' ? "option" : "command") << " '" << first
				  << "' (commands: example, build, validate, inspect, diff; see --help)\n";
			return exit_usage;
		}
	}
	try {
		app.parse(argc, argv);
	} catch (const CLI::CallForHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForAllHelp &e) {
		return app.exit(e);
	} catch (const CLI::CallForVersion &e) {
		return app.exit(e);
	} catch (const CLI::ParseError &e) {
		app.exit(e);
		return exit_usage;
	}

	if (example->parsed()) {
		std::cout << pkh::to_json(pkh::example_handover()) << "\n";
		return exit_ok;
	}

	if (build->parsed()) {
		auto text = read_input(spec_path);
		if (!text)
			return report(spec_path, text.error());
		auto handover = pkh::parse_spec(std::string(text->begin(), text->end()));
		if (!handover)
			return report(spec_path, handover.error());
		auto blob = pkh::encode(*handover);
		if (!blob)
			return report(spec_path, blob.error());
		if (auto status = write_output(output_path, *blob); !status)
			return report("", status.error());
		return exit_ok;
	}

	if (validate->parsed() || inspect->parsed()) {
		BlobSource &source = validate->parsed() ? validate_source : inspect_source;
		pkh::MemoryConstraints constraints;
		try {
			for (const auto &text : ram_ranges)
				constraints.ram.push_back(parse_range(text));
			for (const auto &text : reserved_ranges)
				constraints.reserved_for_boot.push_back(parse_range(text));
		} catch (const CLI::ValidationError &e) {
			std::cerr << "pkhandover: " << e.what() << "\n";
			return exit_usage;
		}
		auto blob = source.load();
		if (!blob) {
			if (validate->parsed() && validate_json_output)
				std::cout << validate_json(source.name(), blob.error(), 0) << "\n";
			return report(source.name(), blob.error());
		}
		auto handover = pkh::decode(*blob, constraints);
		if (validate->parsed() && validate_json_output)
			std::cout << validate_json(source.name(), handover, blob->size()) << "\n";
		if (!handover)
			return report(source.name(), handover.error());
		if (validate->parsed()) {
			if (!validate_json_output)
				std::cout << source.name() << ": valid: " << summary(*handover, blob->size()) << "\n";
		} else if (inspect_json)
			std::cout << pkh::to_json(*handover) << "\n";
		else
			std::cout << pkh::to_text(*handover);
		if (inspect->parsed() && !inspect_json && source.live && handover->abi_major >= 2)
			return print_live_extents(*handover, pkernfs_dir);
		return exit_ok;
	}

	if (diff->parsed()) {
		pkh::Handover sides[2];
		const std::string paths[2] = {diff_a, diff_b};
		for (int i = 0; i < 2; i++) {
			BlobSource source;
			source.file = paths[i];
			auto blob = source.load();
			if (!blob) {
				report(paths[i], blob.error());
				return exit_usage;
			}
			auto handover = pkh::decode(*blob);
			if (!handover) {
				report(paths[i], handover.error());
				return exit_usage;
			}
			sides[i] = std::move(*handover);
		}
		const auto differences = pkh::differences(sides[0], sides[1]);
		if (diff_json)
			std::cout << pkh::differences_to_json(differences) << "\n";
		else
			for (const auto &difference : differences)
				std::cout << difference.line() << "\n";
		return differences.empty() ? exit_ok : exit_invalid;
	}
	return exit_usage;
}
