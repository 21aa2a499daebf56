#pragma once
// A task on the wire: [FnId of run_task<F, Args...>][the callable][the arguments]. The
// receiving rank looks up run_task by its FnId and lets it decode the rest with the types
// the sender compiled in, so no registration is needed.

#include <cstdint>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "mpp/detail/codec.hpp"
#include "mpp/detail/function_id.hpp"
#include "mpp/partial.hpp"

namespace mpp::detail {

template <class F>
struct is_partial : std::false_type {};
template <class F, class... B>
struct is_partial<Partial<F, B...>> : std::true_type {};

template <class F>
concept FunctionPointer = std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>;

// C++20 closures without captures are empty and default-constructible: the receiving rank
// can make its own copy from the type alone.
template <class F>
concept StatelessCallable = std::is_class_v<F> && std::is_empty_v<F> && std::default_initializable<F>;

template <class F>
concept Shippable = FunctionPointer<F> || StatelessCallable<F> || is_partial<F>::value;

template <class F>
void encode_callable(Bytes& out, const F& f) {
  if constexpr (FunctionPointer<F>) {
    put_raw(out, function_id(reinterpret_cast<std::uintptr_t>(f)));
  } else if constexpr (is_partial<F>::value) {
    encode_callable(out, f.function());
    std::apply([&out](const auto&... bound) { (encode(out, bound), ...); }, f.bound());
  }
}

template <class F, class... Bound>
Partial<F, Bound...> decode_partial(Reader& in, std::type_identity<Partial<F, Bound...>>);

template <class F>
F decode_callable(Reader& in) {
  if constexpr (FunctionPointer<F>) {
    const std::uintptr_t code = function_address(get_raw<FnId>(in));
    set_current_task(code);
    return reinterpret_cast<F>(code);
  } else if constexpr (is_partial<F>::value) {
    return decode_partial(in, std::type_identity<F>{});
  } else {
    return F{};
  }
}

template <class F, class... Bound>
Partial<F, Bound...> decode_partial(Reader& in, std::type_identity<Partial<F, Bound...>>) {
  F f = decode_callable<F>(in);
  // Braced initialisation evaluates left to right, matching the encoding order.
  std::tuple<Bound...> bound{decode<Bound>(in)...};
  return std::apply([&f](auto&... b) { return Partial<F, Bound...>(std::move(f), std::move(b)...); },
                    bound);
}

template <class F, class... Args>
using task_result_t = std::invoke_result_t<F&, Args&&...>;

/// Runs on the receiving rank: decodes callable and arguments, calls, encodes the result.
template <class F, class... Args>
void run_task(Reader& in, Bytes& out) {
  set_current_task(reinterpret_cast<std::uintptr_t>(&run_task<F, Args...>));
  F f = decode_callable<F>(in);
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
  encode_callable(out, f);
  (encode(out, args), ...);
  return out;
}

/// Executes a task message on this rank; the result (or nothing, for void) goes to `out`.
void execute_task(Reader& in, Bytes& out);

}  // namespace mpp::detail
