#pragma once
/// @file partial.hpp
/// @brief mpp::partial, Python's functools.partial for callables shipped to other ranks.
///
/// A lambda with captures cannot run on another rank: its state has no address there.
/// partial binds leading arguments by value; they are serialized with the task.
/// @code
/// int scale(int factor, int x) { return factor * x; }
/// auto triple = mpp::partial(scale, 3);
/// mpp::call_on(1, triple, 14);   // 42, computed on rank 1
/// @endcode

#include <tuple>
#include <type_traits>
#include <utility>

namespace mpp {

/// @brief A callable with its leading arguments bound by value; local.
template <class F, class... Bound>
class Partial {
 public:
  Partial(F f, Bound... bound) : f_(std::move(f)), bound_(std::move(bound)...) {}

  template <class... Args>
  decltype(auto) operator()(Args&&... args) {
    return std::apply(
        [&](auto&... bound) -> decltype(auto) { return f_(bound..., std::forward<Args>(args)...); },
        bound_);
  }

  const F& function() const noexcept { return f_; }
  const std::tuple<Bound...>& bound() const noexcept { return bound_; }

 private:
  F f_;
  std::tuple<Bound...> bound_;
};

/// @brief Binds `bound...` as the first arguments of `f`; local.
template <class F, class... Bound>
auto partial(F&& f, Bound&&... bound) {
  return Partial<std::decay_t<F>, std::decay_t<Bound>...>(std::forward<F>(f),
                                                          std::forward<Bound>(bound)...);
}

}  // namespace mpp
