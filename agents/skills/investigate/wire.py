"""The conversation with a model, and the providers that carry it.

A conversation is kept in one neutral shape (`Turn`s of text, tool calls and tool results) and
each provider writes it in its own wire format: Amazon Bedrock's Converse API (`toolConfig`,
`toolUse` / `toolResult` blocks) through boto3, or the `chat/completions` API with `tools` of any
OpenAI-compatible endpoint (a local or self-hosted model) through httpx2. `Provider.body` builds
the exact request body, so the investigator counts the tokens it sends before sending them;
`Provider.send` sends it and reads the reply back into the neutral shape.

Failing closed: a throttle (Bedrock's `ThrottlingException`, HTTP 429 or 503) is retried with
backoff a few times, then it is a `ProviderFailure` (`throttled`); any other error of the service
is a `ProviderFailure` (`provider-error`) whose message names the code, never a credential. The
OpenAI-compatible endpoint's key comes from Secrets Manager (by secret id, read once per
process) and is sent only in the Authorization header; with a key, the URL must be https (or
loopback), so the key never crosses a network in clear.
"""

from __future__ import annotations

import ipaddress
import json
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from agents import AgentsError, InputError
from toolchain import untrusted

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class ToolCall:
    """A tool the model asked for: its id (the provider's), name and arguments (None when the
    model's arguments were not a JSON object; `raw` keeps what it sent)."""

    id: str
    name: str
    arguments: dict[str, Any] | None
    raw: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}


@dataclass(frozen=True)
class ToolResult:
    id: str  # the ToolCall's id: evidence points at it
    text: str
    error: bool = False


@dataclass(frozen=True)
class Turn:
    """One message: the user's (text and/or tool results) or the assistant's (text and/or tool
    calls)."""

    role: str  # user | assistant
    text: str = ""
    calls: tuple[ToolCall, ...] = ()
    results: tuple[ToolResult, ...] = ()


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Request:
    system: str
    turns: tuple[Turn, ...]
    tools: tuple[ToolSpec, ...]
    max_tokens: int


@dataclass(frozen=True)
class Reply:
    """The model's answer. `stop`: `end` (an answer), `tool_use`, `max_tokens` (cut), `filtered`
    (a guardrail or content filter refused); `raw_stop` is the provider's own word."""

    text: str
    calls: tuple[ToolCall, ...]
    stop: str
    raw_stop: str
    input_tokens: int | None = None
    output_tokens: int | None = None


class ProviderFailure(AgentsError):
    """The provider did not answer usably; `reason` is one word (throttled, provider-error,
    unparseable)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Provider(Protocol):
    name: str
    model: str

    def body(self, request: Request) -> dict[str, Any]: ...

    def send(self, body: dict[str, Any]) -> Reply: ...


def _retrying(
    call: Callable[[], Any],
    throttled: Callable[[Exception], float | None],
    *,
    retries: int,
    sleep: Sleep,
    backoff: float,
    what: str,
) -> Any:
    """`call()`, retried on a throttle (`throttled(exc)` gives the wait it asks for, or 0 for
    the backoff's; None: not a throttle, re-raised) at most `retries` times, then a
    `ProviderFailure('throttled')`."""
    for attempt in range(retries + 1):
        try:
            return call()
        except Exception as exc:
            wait = throttled(exc)
            if wait is None:
                raise
            if attempt == retries:
                raise ProviderFailure(
                    "throttled", f"{what}: still throttled after {retries} retries ({exc})"
                ) from None
            sleep(min(30.0, wait or backoff * 2**attempt))
    raise AssertionError("unreachable")


# -- Amazon Bedrock (Converse) --------------------------------------------------------------------
BEDROCK_THROTTLES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "TooManyRequestsException",
    }
)
_BEDROCK_STOPS = {
    "end_turn": "end",
    "stop_sequence": "end",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "guardrail_intervened": "filtered",
    "content_filtered": "filtered",
}


def bedrock_client(region: str | None, timeout_s: float) -> Any:
    """boto3's `bedrock-runtime` client, with the credentials of the environment (the persona's
    IRSA role on the cluster; no key of ours). Its own retries are off: `Bedrock` retries
    throttles itself, so attempts do not multiply."""
    import boto3  # noqa: PLC0415 - slow to import
    from botocore.config import Config  # noqa: PLC0415

    return boto3.client(
        "bedrock-runtime",
        region_name=region,
        config=Config(
            retries={"mode": "standard", "max_attempts": 1},
            connect_timeout=5,
            read_timeout=timeout_s,
        ),
    )


@dataclass
class Bedrock:
    client: Any
    model: str
    retries: int = 3
    sleep: Sleep = time.sleep
    backoff: float = 1.0
    name: str = "bedrock"

    def body(self, request: Request) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        for turn in request.turns:
            content: list[dict[str, Any]] = []
            for r in turn.results:
                content.append(
                    {
                        "toolResult": {
                            "toolUseId": r.id,
                            "content": [{"text": r.text}],
                            "status": "error" if r.error else "success",
                        }
                    }
                )
            if turn.text:
                content.append({"text": turn.text})
            for c in turn.calls:
                content.append(
                    {"toolUse": {"toolUseId": c.id, "name": c.name, "input": c.arguments or {}}}
                )
            messages.append({"role": turn.role, "content": content})
        return {
            "modelId": self.model,
            "system": [{"text": request.system}],
            "messages": messages,
            "toolConfig": {
                "tools": [
                    {
                        "toolSpec": {
                            "name": t.name,
                            "description": t.description,
                            "inputSchema": {"json": t.schema},
                        }
                    }
                    for t in request.tools
                ]
            },
            "inferenceConfig": {"maxTokens": request.max_tokens, "temperature": 0},
        }

    def send(self, body: dict[str, Any]) -> Reply:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        def throttled(exc: Exception) -> float | None:
            code = (
                exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None
            )
            return 0.0 if code in BEDROCK_THROTTLES else None

        try:
            answer = _retrying(
                lambda: self.client.converse(**body),
                throttled,
                retries=self.retries,
                sleep=self.sleep,
                backoff=self.backoff,
                what=f"bedrock {self.model}",
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ProviderFailure(
                "provider-error",
                f"bedrock {self.model}: {error.get('Code', '?')}: {error.get('Message', '')}",
            ) from None
        except BotoCoreError as exc:
            raise ProviderFailure("provider-error", f"bedrock {self.model}: {exc}") from None
        try:
            blocks = answer["output"]["message"]["content"]
            raw_stop = str(answer.get("stopReason", ""))
            texts = [b["text"] for b in blocks if "text" in b]
            calls = tuple(
                ToolCall(
                    str(b["toolUse"]["toolUseId"]),
                    str(b["toolUse"]["name"]),
                    b["toolUse"].get("input")
                    if isinstance(b["toolUse"].get("input"), dict)
                    else None,
                    json.dumps(b["toolUse"].get("input"), default=str)[:2000],
                )
                for b in blocks
                if "toolUse" in b
            )
            usage = answer.get("usage") or {}
        except (KeyError, TypeError) as exc:
            raise ProviderFailure(
                "unparseable", f"bedrock {self.model}: a reply without {exc}"
            ) from None
        return Reply(
            "\n".join(texts),
            calls,
            _BEDROCK_STOPS.get(raw_stop, raw_stop or "end"),
            raw_stop,
            _count(usage.get("inputTokens")),
            _count(usage.get("outputTokens")),
        )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


# -- OpenAI-compatible (chat/completions) ---------------------------------------------------------
HTTP_THROTTLES = frozenset({429, 502, 503, 504})
_OPENAI_STOPS = {
    "stop": "end",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "filtered",
}
MAX_REPLY_BYTES = 4 * 1024 * 1024


def check_url(url: str, *, with_key: bool) -> str:
    """The endpoint's base URL, checked: http(s) with a host; with a key, https unless the host
    is loopback (the key must not cross a network in clear)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"AGENTS_INVESTIGATE_URL: {url[:200]!r} is not an http(s) URL")
    if with_key and parts.scheme == "http" and not _loopback(parts.hostname):
        raise InputError(
            f"AGENTS_INVESTIGATE_URL: {url[:200]!r} would send the API key in clear: use https "
            "(plain http only to a loopback address)"
        )
    return url.rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_key(client: Any, secret_id: str) -> str:
    """The API key in the Secrets Manager secret `secret_id`: its SecretString, or that JSON's
    `api_key` (`apiKey`, `key`). Never logged; an error names the secret id and code only."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        value = client.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        raise ProviderFailure(
            "provider-error", f"the API key secret {secret_id!r} cannot be read ({code})"
        ) from None
    except BotoCoreError as exc:
        raise ProviderFailure(
            "provider-error",
            f"the API key secret {secret_id!r} cannot be read ({type(exc).__name__})",
        ) from None
    key = value.strip()
    if key.startswith("{"):
        try:
            data = json.loads(key)
        except (ValueError, RecursionError):  # not JSON, or nested past the decoder's depth
            data = {}
        found = [data.get(k) for k in ("api_key", "apiKey", "key") if isinstance(data, dict)]
        key = next((k for k in found if isinstance(k, str) and k.strip()), "").strip()
    if not key or any(c.isspace() for c in key):
        raise ProviderFailure(
            "provider-error",
            f"the API key secret {secret_id!r} holds no key (a string, or JSON with api_key)",
        )
    return key


@dataclass
class OpenAICompatible:
    url: str
    model: str
    key: Callable[[], str | None] = lambda: None
    timeout_s: float = 60.0
    retries: int = 3
    sleep: Sleep = time.sleep
    backoff: float = 1.0
    name: str = "openai"
    client: Any = None  # an httpx2.Client (tests pass one); made on first use
    _key: str | None = field(default=None, repr=False)

    def body(self, request: Request) -> dict[str, Any]:
        messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}]
        for turn in request.turns:
            for r in turn.results:
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": r.id,
                        "content": f"ERROR: {r.text}" if r.error else r.text,
                    }
                )
            if turn.role == "assistant":
                message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
                if turn.calls:
                    message["tool_calls"] = [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {
                                "name": c.name,
                                "arguments": json.dumps(c.arguments)
                                if c.arguments is not None
                                else c.raw,
                            },
                        }
                        for c in turn.calls
                    ]
                messages.append(message)
            elif turn.text:
                messages.append({"role": "user", "content": turn.text})
        return {
            "model": self.model,
            "messages": messages,
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.schema,
                    },
                }
                for t in request.tools
            ],
            "max_tokens": request.max_tokens,
            "temperature": 0,
        }

    def send(self, body: dict[str, Any]) -> Reply:
        import httpx2  # noqa: PLC0415

        if self._key is None:
            self._key = self.key() or ""
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        if self.client is None:
            self.client = httpx2.Client(timeout=self.timeout_s, follow_redirects=False)
        endpoint = f"{self.url}/chat/completions"
        what = f"{self.name} {self.model}"

        def post() -> Any:
            response = self.client.post(endpoint, content=json.dumps(body), headers=headers)
            if response.status_code in HTTP_THROTTLES:
                raise _Throttled(response)
            return response

        def throttled(exc: Exception) -> float | None:
            if isinstance(exc, _Throttled):
                after = exc.response.headers.get("retry-after", "")
                return float(after) if after.isdigit() else 0.0
            return None

        try:
            response = _retrying(
                post,
                throttled,
                retries=self.retries,
                sleep=self.sleep,
                backoff=self.backoff,
                what=what,
            )
        except httpx2.HTTPError as exc:
            raise ProviderFailure(
                "provider-error", f"{what}: {type(exc).__name__} reaching the endpoint"
            ) from None
        if response.status_code != 200:
            text = untrusted.escape(" ".join(response.text[:200].split()))
            raise ProviderFailure("provider-error", f"{what}: HTTP {response.status_code}: {text}")
        if len(response.content) > MAX_REPLY_BYTES:
            raise ProviderFailure("unparseable", f"{what}: a reply over {MAX_REPLY_BYTES} bytes")
        return self._reply(response.content, what)

    @staticmethod
    def _reply(content: bytes, what: str) -> Reply:
        try:
            data = json.loads(content)
            choice = data["choices"][0]
            message = choice["message"]
            raw_stop = str(choice.get("finish_reason") or "")
            calls = []
            for c in message.get("tool_calls") or []:
                raw = c["function"].get("arguments") or "{}"
                try:
                    arguments = json.loads(raw) if isinstance(raw, str) else raw
                except (ValueError, RecursionError):  # not JSON, or nested past its depth
                    arguments = None
                calls.append(
                    ToolCall(
                        str(c["id"]),
                        str(c["function"]["name"]),
                        arguments if isinstance(arguments, dict) else None,
                        str(raw)[:2000],
                    )
                )
            usage = data.get("usage") or {}
            refusal = message.get("refusal")
            text = message.get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ProviderFailure("unparseable", f"{what}: a reply without {exc}") from None
        except RecursionError:  # a JSON reply nested past the decoder's depth
            raise ProviderFailure(
                "unparseable", f"{what}: a reply nested too deep to read"
            ) from None
        if not isinstance(text, str):
            raise ProviderFailure("unparseable", f"{what}: a reply whose content is not text")
        stop = _OPENAI_STOPS.get(raw_stop, raw_stop or "end")
        if refusal:
            stop, raw_stop = "filtered", f"refusal: {str(refusal)[:200]}"
        elif calls and stop == "end":
            stop = "tool_use"
        return Reply(
            text,
            tuple(calls),
            stop,
            raw_stop,
            _count(usage.get("prompt_tokens")),
            _count(usage.get("completion_tokens")),
        )


class _Throttled(Exception):
    def __init__(self, response: Any) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


# -- scripted (tests, benchmarks) -----------------------------------------------------------------
@dataclass
class Scripted:
    """Recorded answers, one per turn (a `Reply`, or an exception to raise). Its request body
    is the OpenAI-compatible one, so token counts are what such an endpoint would be sent."""

    replies: Sequence[Reply | Exception]
    model: str = "recorded"
    name: str = "scripted"
    sent: list[dict[str, Any]] = field(default_factory=list)

    def body(self, request: Request) -> dict[str, Any]:
        return OpenAICompatible("http://127.0.0.1", self.model).body(request)

    def send(self, body: dict[str, Any]) -> Reply:
        self.sent.append(body)
        if len(self.sent) > len(self.replies):
            raise ProviderFailure("provider-error", "the recording has no answer for this turn")
        reply = self.replies[len(self.sent) - 1]
        if isinstance(reply, Exception):
            raise reply
        return reply
