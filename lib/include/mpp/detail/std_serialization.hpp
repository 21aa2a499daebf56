#pragma once
// Boost 1.74 serializes the std containers but not std::optional or std::tuple; these two
// free functions fill the gap so that tasks can take and return them.

#include <boost/serialization/split_free.hpp>
#include <optional>
#include <tuple>

namespace boost::serialization {

template <class Archive, class T>
void save(Archive& ar, const std::optional<T>& value, unsigned /*version*/) {
  const bool engaged = value.has_value();
  ar << engaged;
  if (engaged) ar << *value;
}

template <class Archive, class T>
void load(Archive& ar, std::optional<T>& value, unsigned /*version*/) {
  bool engaged = false;
  ar >> engaged;
  if (!engaged) {
    value.reset();
    return;
  }
  T inner{};
  ar >> inner;
  value = std::move(inner);
}

template <class Archive, class T>
void serialize(Archive& ar, std::optional<T>& value, unsigned version) {
  split_free(ar, value, version);
}

template <class Archive, class... T>
void serialize(Archive& ar, std::tuple<T...>& value, unsigned /*version*/) {
  std::apply([&ar](auto&... element) { ((ar & element), ...); }, value);
}

}  // namespace boost::serialization
