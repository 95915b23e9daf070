#pragma once
#include <functional>
#include <memory>
#include <unordered_map>

#include "livekv/util/mutex.hpp"

namespace livekv::net {

// Knows every open connection so that shutdown can ask each to finish. Connections register on
// start and unregister in their destructor; the registry never owns them.
class connection_registry {
 public:
  class member {
   public:
    virtual ~member() = default;
    // Called from any thread; must only post to the connection's own executor.
    virtual void drain() = 0;
  };

  void add(const std::shared_ptr<member>& m) LIVEKV_EXCLUDES(mutex_);
  void remove(const member* m) LIVEKV_EXCLUDES(mutex_);
  // Asks every live connection to finish its current request and close.
  void drain_all() LIVEKV_EXCLUDES(mutex_);
  std::size_t size() const LIVEKV_EXCLUDES(mutex_);

 private:
  mutable util::mutex mutex_;  // guards members_
  std::unordered_map<const member*, std::weak_ptr<member>> members_ LIVEKV_GUARDED_BY(mutex_);
};

}  // namespace livekv::net
