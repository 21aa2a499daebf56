#pragma once
// Turning values into bytes and back, decided at compile time: shared objects travel as
// their handle, trivially copyable values bit for bit, everything else through one
// Boost.Serialization binary archive (about 1 us each, so the fast paths matter).

#include <bit>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/iostreams/device/array.hpp>
#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/stream.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/set.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>
#include <vector>

#include "mpp/detail/function_id.hpp"
#include "mpp/detail/std_serialization.hpp"
#include "mpp/partial.hpp"

namespace mpp::detail {

using Bytes = std::vector<char>;

/// Reads a message front to back; running past its end means the message is corrupt.
class Reader {
 public:
  Reader(const char* data, std::size_t size) : at_(data), end_(data + size) {}
  explicit Reader(const Bytes& bytes) : Reader(bytes.data(), bytes.size()) {}

  void read(void* dst, std::size_t n) {
    require(n);
    std::memcpy(dst, at_, n);
    at_ += n;
  }
  const char* data() const noexcept { return at_; }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - at_); }
  void skip(std::size_t n) {
    require(n);
    at_ += n;
  }

 private:
  void require(std::size_t n) const;  // throws mpp::Error on a short message
  const char* at_;
  const char* end_;
};

/// A type whose objects live in the shared heap and travel as a small trivially copyable
/// State (handle and flags), re-attached on the receiving rank.
template <class T>
concept SharedObject = requires(const T& object, const typename T::State& state) {
  requires std::is_trivially_copyable_v<typename T::State>;
  { object.state() } -> std::convertible_to<typename T::State>;
  { T::from_state(state) } -> std::same_as<T>;
};

template <class F>
concept FunctionPointer = std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>;

template <class F>
struct is_partial : std::false_type {};
template <class F, class... B>
struct is_partial<Partial<F, B...>> : std::true_type {};

/// Arguments of one call, packed so that trivially copyable arguments stay trivially copyable
/// together (a std::tuple is not): then a whole call travels bit for bit.
template <class... A>
struct Pack;
template <>
struct Pack<> {};
template <class H, class... T>
struct Pack<H, T...> {
  H head;
  Pack<T...> tail;
};

template <class... A>
Pack<std::decay_t<A>...> make_pack(A&&... args) {
  if constexpr (sizeof...(A) == 0) {
    return {};
  } else {
    return [](auto&& head, auto&&... rest) {
      return Pack<std::decay_t<A>...>{std::forward<decltype(head)>(head), make_pack(std::forward<decltype(rest)>(rest)...)};
    }(std::forward<A>(args)...);
  }
}

/// Calls f with the packed arguments, moved out of the pack.
template <class F, class P, class... Taken>
decltype(auto) apply_pack(F& f, P& pack, Taken&... taken) {
  if constexpr (std::is_same_v<P, Pack<>>) return std::invoke(f, std::move(taken)...);
  else return apply_pack(f, pack.tail, taken..., pack.head);
}

template <class T>
struct is_pack : std::false_type {};
template <class... A>
struct is_pack<Pack<A...>> : std::true_type {};

/// std::tuple and std::pair travel element by element, each element by its own path (a
/// shared object inside a tuple as its handle, an int bit for bit).
template <class T>
struct is_tuple_like : std::false_type {};
template <class... A>
struct is_tuple_like<std::tuple<A...>> : std::true_type {};
template <class A, class B>
struct is_tuple_like<std::pair<A, B>> : std::true_type {};

template <class T>
concept Bitwise = std::is_trivially_copyable_v<T> && !SharedObject<T> && !std::is_pointer_v<T> &&
                  !std::is_member_pointer_v<T>;

template <class T>
void put_raw(Bytes& out, const T& value) {
  static_assert(std::is_trivially_copyable_v<T>);
  const std::size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

template <class T>
T get_raw(Reader& in) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::array<std::byte, sizeof(T)> raw;
  in.read(raw.data(), sizeof(T));
  return std::bit_cast<T>(raw);
}

inline constexpr unsigned archive_flags = boost::archive::no_header | boost::archive::no_codecvt;

template <class T>
void encode(Bytes& out, const T& value);
template <class T>
T decode(Reader& in);

template <class F, class... Bound>
Partial<F, Bound...> decode_partial(Reader& in, std::type_identity<Partial<F, Bound...>>) {
  F f = decode<F>(in);
  // Braced initialisation evaluates left to right, matching the encoding order.
  std::tuple<Bound...> bound{decode<Bound>(in)...};
  return std::apply([&f](auto&... b) { return Partial<F, Bound...>(std::move(f), std::move(b)...); },
                    bound);
}

template <class... A>
Pack<A...> decode_pack(Reader& in, std::type_identity<Pack<A...>>) {
  if constexpr (sizeof...(A) == 0) {
    return {};
  } else {
    return [&in]<class H, class... T>(std::type_identity<Pack<H, T...>>) {
      H head = decode<H>(in);  // the head was encoded first
      return Pack<H, T...>{std::move(head), decode<Pack<T...>>(in)};
    }(std::type_identity<Pack<A...>>{});
  }
}

template <template <class...> class Tuple, class... E>
Tuple<E...> decode_tuple(Reader& in, std::type_identity<Tuple<E...>>) {
  return Tuple<E...>{decode<E>(in)...};  // braced: decoded left to right, as encoded
}

template <class T>
void encode(Bytes& out, const T& value) {
  if constexpr (FunctionPointer<T>) {
    // Code addresses differ between ranks (ASLR): send the function's module and offset.
    put_raw(out, function_id(reinterpret_cast<std::uintptr_t>(value)));
    return;
  } else if constexpr (is_partial<T>::value) {
    encode(out, value.function());
    std::apply([&out](const auto&... bound) { (encode(out, bound), ...); }, value.bound());
    return;
  }
  static_assert(FunctionPointer<T> || !std::is_pointer_v<T>,
                "mpp: a raw pointer cannot travel to another rank (it points into this "
                "process's memory): pass the value itself, a std::string or a std::vector");
  if constexpr (FunctionPointer<T> || is_partial<T>::value) {
  } else if constexpr (is_pack<T>::value && !Bitwise<T>) {
    if constexpr (!std::is_same_v<T, Pack<>>) {
      encode(out, value.head);
      encode(out, value.tail);
    }
  } else if constexpr (is_tuple_like<T>::value) {
    std::apply([&out](const auto&... element) { (encode(out, element), ...); }, value);
  } else if constexpr (SharedObject<T>) {
    put_raw(out, value.state());
  } else if constexpr (Bitwise<T>) {
    put_raw(out, value);
  } else {
    // Length-prefixed so that a reader can skip or bound the archive.
    const std::size_t at = out.size();
    put_raw<std::uint64_t>(out, 0);
    {
      boost::iostreams::stream<boost::iostreams::back_insert_device<Bytes>> sink(out);
      boost::archive::binary_oarchive archive(sink, archive_flags);
      archive << value;
    }
    const std::uint64_t length = out.size() - at - sizeof(std::uint64_t);
    std::memcpy(out.data() + at, &length, sizeof length);
  }
}

template <class T>
T decode(Reader& in) {
  if constexpr (FunctionPointer<T>) {
    const std::uintptr_t code = function_address(get_raw<FnId>(in));
    set_current_task(code);
    return reinterpret_cast<T>(code);
  } else if constexpr (is_partial<T>::value) {
    return decode_partial(in, std::type_identity<T>{});
  } else if constexpr (is_pack<T>::value && !Bitwise<T>) {
    return decode_pack(in, std::type_identity<T>{});
  } else if constexpr (is_tuple_like<T>::value) {
    return decode_tuple(in, std::type_identity<T>{});
  } else if constexpr (SharedObject<T>) {
    return T::from_state(get_raw<typename T::State>(in));
  } else if constexpr (Bitwise<T>) {
    return get_raw<T>(in);
  } else {
    const auto length = static_cast<std::size_t>(get_raw<std::uint64_t>(in));
    const char* start = in.data();
    in.skip(length);
    boost::iostreams::stream<boost::iostreams::array_source> source(start, length);
    boost::archive::binary_iarchive archive(source, archive_flags);
    T value{};
    archive >> value;
    return value;
  }
}

}  // namespace mpp::detail
