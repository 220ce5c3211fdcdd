// Helpers for the sum types messages are: a visitor from lambdas, and a non-null reference to a
// decoded value the message does not own.
#pragma once

#include <functional>
#include <type_traits>
#include <variant>

namespace zkdump {

// std::visit(Overloaded{[](const A&) {...}, [](const B&) {...}}, value)
template <class... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
template <class... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

// A value decoded on the stack of the stage that hands the message on: valid during the call.
template <class T>
using Ref = std::reference_wrapper<const T>;

template <class T, class Variant>
struct IsAlternative : std::false_type {};
template <class T, class... Alternatives>
struct IsAlternative<T, std::variant<Alternatives...>>
    : std::disjunction<std::is_same<T, Alternatives>...> {};

// The T a variant holds, directly or as a Ref<T>, or null when it holds another kind.
template <class T, class Variant>
const T* alternative(const Variant& value) {
  if constexpr (IsAlternative<Ref<T>, Variant>::value) {
    const Ref<T>* held = std::get_if<Ref<T>>(&value);
    return held != nullptr ? &held->get() : nullptr;
  } else {
    static_assert(IsAlternative<T, Variant>::value, "not a kind of this message");
    return std::get_if<T>(&value);
  }
}

}  // namespace zkdump
