#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

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

  void add(const std::shared_ptr<member>& m);
  void remove(const member* m);
  // Asks every live connection to finish its current request and close.
  void drain_all();
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;  // guards members_
  std::unordered_map<const member*, std::weak_ptr<member>> members_;
};

}  // namespace livekv::net
