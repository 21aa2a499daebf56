#pragma once
/// @file mpp.hpp
/// @brief Everything mpp offers: Python's multiprocessing and concurrent.futures on MPI ranks.

#include "mpp/errors.hpp"
#include "mpp/executor.hpp"
#include "mpp/future.hpp"
#include "mpp/lock.hpp"
#include "mpp/manager.hpp"
#include "mpp/partial.hpp"
#include "mpp/pipe.hpp"
#include "mpp/pool.hpp"
#include "mpp/process.hpp"
#include "mpp/queue.hpp"
#include "mpp/remote.hpp"
#include "mpp/runtime.hpp"
#include "mpp/value.hpp"
#include "mpp/array.hpp"
#include "mpp/barrier.hpp"
#include "mpp/condition.hpp"
#include "mpp/event.hpp"
#include "mpp/rlock.hpp"
#include "mpp/semaphore.hpp"
