"""Each resource's properties converted once, not once per rule (nor once per request).

The policy SDK (pulumi-policy 1.21) turns a resource's protobuf properties into Python values
(`json_format.MessageToDict`, then `deserialize_properties`) inside its loop over the policies: a
pack of 74 rules converts every resource 74 times in `Analyze`, and every resource of the stack
once per stack rule in `AnalyzeStack`. Rules only read what they are given, so the packs
install this at start: the same message object (the SDK reads one request's properties through
the same object for every rule) gets the same converted values. A cached entry holds its message,
so an id is never reused while it is remembered; the memory is cleared past `LIMIT` entries.
Across requests the key is the content: a message's deterministic serialization (protobuf's C
code, map keys sorted), so a gate that sees a stack again with one resource changed (an agent's
next pass, the policy corpus's mutations) converts that one resource, not the stack: the
corpus went from 71 s to 38 s.

The SDK also wraps the values once per rule in its unknown-checking proxy
(`unknown_checking_proxy`: a new dict and list for every level of the properties, then a
proxy that raises on an unknown value), which after the conversions was a third of a pack's
time on the prod plan. Values converted for reading (`Analyze`, `AnalyzeStack` and the
providers: `proxy_secrets` False) get one proxy, shared by every rule as the values are. Those
converted for `Remediate` (`proxy_secrets` True) get a new proxy each time, as before:
remediations write into the proxy they are given, and one request's writes must never reach
another's.

The SDK also reads a request's options and its provider (`_get_resource_options`,
`_get_provider_resource`: new objects, the provider's properties converted and proxied) once per
rule; they are made once per request now (the same request object), as read-only as the values.

`AnalyzeStack` reads every resource's fields from the request's protobuf messages once per stack
rule too (its map of property dependencies, its dependencies, its names): with 19 stack rules
over a plan of 500 resources, 9,500 reads of each, which was most of the call. The request is
handed to the SDK with its resources read once into plain objects (`_StackRequest`): the same
values, the same properties message (so its conversion is remembered as above), and anything
else read from the message itself. The SDK still makes its own resources for every rule.

If the SDK changes shape (the names it calls are gone), nothing is installed and the SDK runs as
it is: slower, never different. `tests/policies/test_sdk_once.py` checks both.
"""

from __future__ import annotations

from typing import Any

# Enough for every resource of two requests of a stack of 100,000 resources.
LIMIT = 500_000
_MARK = "_baseline_convert_once"
# What the SDK's servicer makes of a request for every rule, the same for each.
PER_REQUEST = ("_get_resource_options", "_get_provider_resource")


def _content(message: Any) -> bytes | None:
    """The message's deterministic serialization, or None when it has none."""
    serialize = getattr(message, "SerializeToString", None)
    if serialize is None:
        return None
    try:
        return bytes(serialize(deterministic=True))
    except Exception:  # noqa: BLE001 - not a protobuf message after all: converted as it is
        return None


class _Urns:
    """A property's dependencies as `AnalyzeStack` reads them (`.urns`)."""

    __slots__ = ("urns",)

    def __init__(self, urns: tuple[str, ...]) -> None:
        self.urns = urns


class _StackResource:
    """One resource of an `AnalyzeStack` request with the fields the SDK reads for every stack
    rule read once; the rest (options, provider, `HasField`) from the message itself."""

    __slots__ = (
        "_message",
        "dependencies",
        "name",
        "parent",
        "properties",
        "propertyDependencies",
        "type",
        "urn",
    )

    def __init__(self, message: Any) -> None:
        self._message = message
        self.properties = message.properties
        self.type, self.urn, self.name = message.type, message.urn, message.name
        self.parent = message.parent
        self.dependencies = tuple(message.dependencies)
        self.propertyDependencies = {
            key: _Urns(tuple(value.urns)) for key, value in message.propertyDependencies.items()
        }

    def __getattr__(self, name: str) -> Any:
        return getattr(self._message, name)


class _StackRequest:
    """An `AnalyzeStack` request whose resources are `_StackResource`s, read once."""

    __slots__ = ("_message", "resources")

    def __init__(self, message: Any) -> None:
        self._message = message
        self.resources = [_StackResource(r) for r in message.resources]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._message, name)


def install(sdk: Any = None) -> bool:
    """Make the SDK's per-rule conversions reuse one conversion per message; True when done."""
    if sdk is None:
        from pulumi_policy import policy as sdk  # noqa: PLC0415
    json_format = getattr(sdk, "json_format", None)
    deserialize = getattr(sdk, "deserialize_properties", None)
    if getattr(sdk, _MARK, False):
        return True
    if json_format is None or deserialize is None or not hasattr(json_format, "MessageToDict"):
        return False
    proxy = getattr(sdk, "unknown_checking_proxy", None)
    dicts: dict[int, tuple[Any, Any]] = {}
    values: dict[tuple[int, bool], tuple[Any, Any]] = {}
    by_content: dict[bytes, Any] = {}
    read_only: dict[int, Any] = {}  # values converted for reading, by id (held: ids stay theirs)
    proxies: dict[int, tuple[Any, Any]] = {}
    made_for: dict[tuple[str, int], tuple[Any, Any]] = {}  # PER_REQUEST, by request (held)

    def forget() -> None:
        for memory in (dicts, values, by_content, read_only, proxies, made_for):
            memory.clear()

    def once_per_request(name: str, method: Any) -> Any:
        def once(self: Any, request: Any) -> Any:
            key = (name, id(request))
            hit = made_for.get(key)
            if hit is not None and hit[0] is request:
                return hit[1]
            if len(made_for) >= LIMIT:
                forget()
            made = method(self, request)
            made_for[key] = (request, made)
            return made

        return once

    def message_to_dict(message: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return json_format.MessageToDict(message, *args, **kwargs)
        hit = dicts.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        if len(dicts) >= LIMIT:
            forget()
        # The same properties in another request (the next pass over a stack, a gate that sees
        # one resource changed) are the same values: the serialized bytes (deterministic: map
        # keys sorted, done in C) find them without converting again.
        content = _content(message)
        converted = by_content.get(content) if content is not None else None
        if converted is None:
            converted = json_format.MessageToDict(message)
            if content is not None:
                by_content[content] = converted
        dicts[id(message)] = (message, converted)
        return converted

    def deserialize_properties(props: Any, proxy_secrets: bool = False) -> Any:
        key = (id(props), bool(proxy_secrets))
        hit = values.get(key)
        if hit is not None and hit[0] is props:
            result = hit[1]
        else:
            if len(values) >= LIMIT:
                forget()
            result = deserialize(props, proxy_secrets)
            values[key] = (props, result)
        if not proxy_secrets:
            read_only[id(result)] = result
        return result

    def unknown_checking_proxy(props: Any) -> Any:
        if proxy is None:  # (not installed then; for the type checker)
            return props
        if read_only.get(id(props)) is not props:
            return proxy(props)  # values a remediation may write into: a proxy of their own
        hit = proxies.get(id(props))
        if hit is not None and hit[0] is props:
            return hit[1]
        if len(proxies) >= LIMIT:
            proxies.clear()
        made = proxy(props)
        proxies[id(props)] = (props, made)
        return made

    class _JsonFormat:
        """`json_format` as the SDK sees it: `MessageToDict` remembered, the rest as it is."""

        MessageToDict = staticmethod(message_to_dict)

        def __getattr__(self, name: str) -> Any:
            return getattr(json_format, name)

    sdk.json_format = _JsonFormat()
    sdk.deserialize_properties = deserialize_properties
    if proxy is not None:
        sdk.unknown_checking_proxy = unknown_checking_proxy
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    for name in PER_REQUEST:
        method = getattr(servicer, name, None)
        if callable(method):
            setattr(servicer, name, once_per_request(name, method))
    analyze_stack = getattr(servicer, "AnalyzeStack", None)
    if callable(analyze_stack):

        def analyze_stack_read_once(self: Any, request: Any, context: Any) -> Any:
            return analyze_stack(self, _StackRequest(request), context)

        setattr(servicer, "AnalyzeStack", analyze_stack_read_once)  # noqa: B010 - `servicer` may be None to mypy
    setattr(sdk, _MARK, True)
    return True
