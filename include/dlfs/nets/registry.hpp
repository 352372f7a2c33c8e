// Nets by name, from a JSON config: what the CLI's --net and a model file's "net" key resolve to.
//   make_net<float>({{"net", "two-layer"}, {"hidden_size", 100}}, seed)
// Missing keys take the book's defaults; unknown keys and unknown names are errors that list what
// is accepted.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dlfs/nets/net.hpp"

namespace dlfs {

// Throws std::invalid_argument for an unknown config["net"] (listing net_names()), an unknown key,
// or a value of the wrong type or range (naming the key).
template <class T>
std::unique_ptr<Net<T>> make_net(const nlohmann::json& config, std::uint64_t seed);

// The registered names, in table order.
std::vector<std::string> net_names();

// Throws make_net's "unknown net" error unless name is in net_names() or is "sequential"; for
// callers that want to check a name before they have the rest of the config.
void require_known_net(const std::string& name);

}  // namespace dlfs
