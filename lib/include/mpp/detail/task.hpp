#pragma once
// A task on the wire: [FnId of run_task<F, Args...>][the callable][the arguments]. The
// receiving rank looks up run_task by its FnId and lets it decode the rest with the types
// the sender compiled in, so no registration is needed. The codec sends a function pointer
// as its FnId, a captureless lambda as its (empty) bytes and a partial as its parts.

#include <cstdint>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mpp/detail/codec.hpp"
#include "mpp/detail/function_id.hpp"
#include "mpp/partial.hpp"

namespace mpp::detail {

// C++20 closures without captures are empty and default-constructible: the receiving rank
// can make its own copy from the type alone.
template <class F>
concept StatelessCallable = std::is_class_v<F> && std::is_empty_v<F> && std::default_initializable<F>;

template <class F>
concept Shippable = FunctionPointer<F> || StatelessCallable<F> || is_partial<F>::value;

template <class F, class... Args>
using task_result_t = std::invoke_result_t<F&, Args&&...>;

/// Runs on the receiving rank: decodes callable and arguments, calls, encodes the result.
template <class F, class... Args>
void run_task(Reader& in, Bytes& out) {
  set_current_task(reinterpret_cast<std::uintptr_t>(&run_task<F, Args...>));
  F f = decode<F>(in);
  std::tuple<Args...> args{decode<Args>(in)...};
  if constexpr (std::is_void_v<task_result_t<F, Args...>>) {
    std::apply(f, std::move(args));
  } else {
    encode(out, std::apply(f, std::move(args)));
  }
}

using TaskRunner = void (*)(Reader&, Bytes&);

template <class F, class... Args>
Bytes make_task(const F& f, const Args&... args) {
  Bytes out;
  out.reserve(64);
  TaskRunner runner = &run_task<F, Args...>;
  put_raw(out, function_id(reinterpret_cast<std::uintptr_t>(runner)));
  encode(out, f);
  (encode(out, args), ...);
  return out;
}

/// Executes a task message on this rank; the result (or nothing, for void) goes to `out`.
void execute_task(Reader& in, Bytes& out);

}  // namespace mpp::detail
