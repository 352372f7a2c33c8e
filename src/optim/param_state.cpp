#include "dlfs/optim/param_state.hpp"

#include <utility>

namespace dlfs {

template <class T>
ParamState<T>::ParamState(std::string owner, std::vector<std::string> kinds)
    : owner_(std::move(owner)), kinds_(std::move(kinds)), slots_(kinds_.size()) {}

template <class T>
void ParamState<T>::prepare(const std::vector<Param<T>*>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Param<T>& p = *params[i];
    if (p.grad.shape() != p.value.shape())
      throw ShapeError(owner_ + ": gradient of parameter " + std::to_string(i) + " (" + p.name + ") has shape " +
                       shape_str(p.grad.shape()) + ", its value has shape " + shape_str(p.value.shape()));
  }
  if (!ready_) {
    names_.clear();
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::string name = params[i]->name;
      if (name.empty()) name = std::string("#").append(std::to_string(i));  // unnamed: by position
      names_.push_back(std::move(name));
    }
    for (auto& slot : slots_) {
      slot.clear();
      slot.reserve(params.size());  // buffers() hands out pointers into these vectors
      for (const Param<T>* p : params) slot.emplace_back(p->value.shape());
    }
    ready_ = true;
    return;
  }
  if (params.size() != names_.size())
    throw ShapeError(owner_ + ": state was allocated for " + std::to_string(names_.size()) +
                     " parameters, update got " + std::to_string(params.size()));
  for (std::size_t k = 0; k < slots_.size(); ++k)
    for (std::size_t i = 0; i < params.size(); ++i)
      if (params[i]->value.shape() != slots_[k][i].shape())
        throw ShapeError(owner_ + ": parameter " + std::to_string(i) + " (" + params[i]->name + ") has shape " +
                         shape_str(params[i]->value.shape()) + " but its state " + kinds_[k] + "/" + names_[i] +
                         " has shape " + shape_str(slots_[k][i].shape()));
}

template <class T>
std::vector<Buffer<T>> ParamState<T>::buffers() {
  std::vector<Buffer<T>> out;
  if (!ready_) return out;
  for (std::size_t k = 0; k < kinds_.size(); ++k)
    for (std::size_t i = 0; i < names_.size(); ++i) out.push_back({kinds_[k] + "/" + names_[i], &slots_[k][i]});
  return out;
}

template class ParamState<float>;
template class ParamState<double>;

}  // namespace dlfs
