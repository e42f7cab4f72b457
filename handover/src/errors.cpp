// SPDX-License-Identifier: GPL-2.0-only
#include <pkhandover/handover.hpp>

namespace pkh
{

namespace
{

struct ErrorText {
	const char *name;
	const char *text;
};

#define PKH_CPP_ERROR_TEXT(name, text) {#name, text},
constexpr ErrorText blob_error_table[] = {PKH_ERROR_LIST(PKH_CPP_ERROR_TEXT)};
#undef PKH_CPP_ERROR_TEXT

// Short explanation of a code, from the shared table in errors.h.
const char *error_text(ErrorCode code)
{
	switch (code) {
	case ErrorCode::IO: return "cannot read or write a file";
	case ErrorCode::BAD_SPEC: return "invalid JSON spec";
	default: break;
	}
	auto index = static_cast<int>(code);
	if (index >= 0 && index < PKH_ERR_COUNT)
		return blob_error_table[index].text;
	return "unknown error";
}

} // namespace

const char *error_name(ErrorCode code)
{
	switch (code) {
	case ErrorCode::IO: return "IO";
	case ErrorCode::BAD_SPEC: return "BAD_SPEC";
	default: break;
	}
	auto index = static_cast<int>(code);
	if (index >= 0 && index < PKH_ERR_COUNT)
		return blob_error_table[index].name;
	return "UNKNOWN";
}

std::string Error::message() const
{
	std::string text = where.empty() ? std::string() : where + ": ";
	text += why.empty() ? error_text(code) : why;
	text += " (";
	text += error_name(code);
	text += ")";
	return text;
}

} // namespace pkh
