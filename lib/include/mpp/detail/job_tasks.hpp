#pragma once
// The typed side of the job engine: what rank 0 compiles into a job (callable, inputs, the
// runner that knows their types) and how it reads the results back.

#include <cstring>
#include <functional>
#include <iterator>
#include <ranges>
#include <span>
#include <tuple>
#include <type_traits>
#include <vector>

#include "mpp/detail/jobs.hpp"
#include "mpp/detail/task.hpp"
#include "mpp/process.hpp"

namespace mpp::detail {

/// What a void task "returns", so that results are always values.
struct Unit {};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class F, class In, bool Unpack>
struct raw_result {
  using type = std::invoke_result_t<F&, In>;
};
template <class F, class... A>
struct raw_result<F, Pack<A...>, true> {
  using type = std::invoke_result_t<F&, A&&...>;
};
template <class F, class... A>
struct raw_result<F, std::tuple<A...>, true> {
  using type = std::invoke_result_t<F&, A&&...>;
};
template <class F, class A, class B>
struct raw_result<F, std::pair<A, B>, true> {
  using type = std::invoke_result_t<F&, A&&, B&&>;
};

template <class F, class In, bool Unpack>
struct job_result {
  using raw = typename raw_result<F, In, Unpack>::type;
  using type = std::conditional_t<std::is_void_v<raw>, Unit, std::decay_t<raw>>;
};
template <class F, class In, bool Unpack>
using job_result_t = typename job_result<F, In, Unpack>::type;

template <class F, class In, bool Unpack>
job_result_t<F, In, Unpack> call_item(F& f, In&& item) {
  auto call = [&]() -> decltype(auto) {
    if constexpr (Unpack && is_pack<In>::value) return apply_pack(f, item);
    else if constexpr (Unpack) return std::apply(f, std::move(item));
    else return std::invoke(f, std::move(item));
  };
  if constexpr (std::is_same_v<job_result_t<F, In, Unpack>, Unit>) {
    call();
    return Unit{};
  } else {
    return call();
  }
}

/// Runs one chunk on a pool process. Scratch vectors are kept per thread: fresh
/// megabytes would cost a page fault per 4 KiB, microseconds each in a virtual machine.
template <class F, class In, bool Unpack>
void run_chunk(const ChunkContext& c) {
  using Out = job_result_t<F, In, Unpack>;
  try {
    Reader callable(c.callable);
    F f = decode<F>(callable);
    thread_local std::vector<Out> bitwise_out;
    thread_local Bytes encoded_out;
    bitwise_out.clear();
    encoded_out.clear();
    auto emit = [&](Out&& result) {
      if constexpr (Bitwise<Out>) bitwise_out.push_back(std::move(result));
      else encode(encoded_out, result);
    };
    if constexpr (Bitwise<In>) {
      thread_local std::vector<In> inputs;
      inputs.resize(c.count);
      read_chunk_array(c, inputs.data());
      bitwise_out.reserve(c.count);
      for (In& item : inputs) emit(call_item<F, In, Unpack>(f, std::move(item)));
    } else {
      const Bytes inputs = read_chunk_encoded(c);
      Reader in(inputs);
      for (std::uint64_t i = 0; i < c.count; ++i) emit(call_item<F, In, Unpack>(f, decode<In>(in)));
    }
    if constexpr (Bitwise<Out>) publish_chunk_array(c, bitwise_out.data());
    else publish_chunk_bytes(c, Bytes(encoded_out), ChunkStatus::ok);
  } catch (...) {
    publish_chunk_bytes(c, encode_current_error(), ChunkStatus::error);
  }
}

/// Compiles `f` over `inputs` into a job. The spec points into `inputs` (bitwise) or into a
/// per-thread staging buffer (serialized): post it before the next call.
template <bool Unpack, class F, class In>
JobSpec make_job_spec(const F& f, std::span<const In> inputs, std::uint64_t chunksize) {
  using Out = job_result_t<F, In, Unpack>;
  JobSpec spec;
  ChunkRunner runner = &run_chunk<F, In, Unpack>;
  spec.runner = function_id(reinterpret_cast<std::uintptr_t>(runner));
  encode(spec.callable, f);
  spec.items = inputs.size();
  spec.chunksize = chunksize == 0 ? 1 : chunksize;
  spec.out_stride = Bitwise<Out> ? sizeof(Out) : 0;
  if constexpr (Bitwise<In>) {
    spec.in_stride = sizeof(In);
    spec.inputs = reinterpret_cast<const char*>(inputs.data());
    spec.inputs_size = inputs.size_bytes();
  } else {
    // [offset of each item and of the end][the encoded items]
    thread_local Bytes staging;
    staging.assign((inputs.size() + 1) * 8, 0);
    std::uint64_t at = 0;
    std::memcpy(staging.data(), &at, 8);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const std::size_t before = staging.size();
      encode(staging, inputs[i]);
      at += staging.size() - before;
      std::memcpy(staging.data() + (i + 1) * 8, &at, 8);
    }
    spec.inputs = staging.data();
    spec.inputs_size = staging.size();
  }
  return spec;
}

/// The items of a finished chunk; throws the chunk's RemoteError, or mpp::RuntimeError when
/// the pool was terminated before the chunk ran.
template <class Out>
std::vector<Out> chunk_results(Job& job, std::uint64_t chunk) {
  const std::uint64_t first = chunk * job.chunksize();
  const std::uint64_t count = std::min(job.chunksize(), job.items() - first);
  switch (job.status(chunk)) {
    case ChunkStatus::error: job.raise_error(chunk);
    case ChunkStatus::cancelled:
      throw RuntimeError("the pool was terminated, or the task cancelled, before this task ran");
    default: break;
  }
  std::vector<Out> out;
  if constexpr (Bitwise<Out>) {
    out.resize(count);
    job.read_results(first, count, out.data());
  } else {
    const Bytes bytes = job.chunk_bytes(chunk);
    Reader in(bytes);
    out.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) out.push_back(decode<Out>(in));
  }
  return out;
}

/// Every result in input order; a failed chunk raises (the first in input order).
template <class Out>
std::vector<Out> all_results(Job& job) {
  std::vector<Out> out;
  if constexpr (Bitwise<Out>) {
    const auto statuses = job.statuses();
    for (std::uint64_t c = 0; c < statuses.size(); ++c)
      if (statuses[c] != ChunkStatus::ok) (void)chunk_results<Out>(job, c);  // throws
    out.resize(job.items());
    if (!out.empty()) job.read_results(0, job.items(), out.data());
  } else {
    out.reserve(job.items());
    for (std::uint64_t c = 0; c < job.chunks(); ++c) {
      auto part = chunk_results<Out>(job, c);
      std::move(part.begin(), part.end(), std::back_inserter(out));
    }
  }
  return out;
}

/// No initializer: what Pool() ships when none is given.
struct NoInitializer {
  void operator()() const noexcept {}
};

void mark_pool_process() noexcept;

/// A pool process: runs the initializer, then takes chunks until the pool ends.
template <class Init, class... InitArgs>
int pool_process_main(std::string name, Handle control, int index, int processes, Init init,
                      InitArgs... init_args) {
  int code = 0;
  const int status = run_as_process(name, [&] {
    mark_pool_process();
    try {
      std::invoke(init, init_args...);
    } catch (...) {
      report_initializer_failure(control);
      throw;
    }
    code = pool_process_loop(control, index, processes);
  });
  return status != 0 ? status : code;
}

/// The inputs as one contiguous span: the range itself when it is a contiguous range of the
/// item type, else a per-thread staging copy (valid until the next call).
template <class Range>
auto as_span(Range&& inputs) {
  using In = std::decay_t<std::ranges::range_value_t<Range>>;
  if constexpr (std::ranges::contiguous_range<Range> &&
                std::is_same_v<std::remove_cvref_t<std::ranges::range_reference_t<Range>>, In>) {
    return std::span<const In>(std::ranges::data(inputs), std::ranges::size(inputs));
  } else {
    thread_local std::vector<In> staging;
    staging.clear();
    if constexpr (std::ranges::sized_range<Range>) staging.reserve(std::ranges::size(inputs));
    for (auto&& x : inputs) staging.push_back(x);
    return std::span<const In>(staging);
  }
}

}  // namespace mpp::detail
