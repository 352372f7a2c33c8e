// The page dlfs serve shows at GET /: HTML, CSS and script in one string built into the binary,
// so serving needs no files beside the model.
#pragma once

namespace dlfs::cli {
extern const char* const kServePage;
}
