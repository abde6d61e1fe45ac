"""Self-service lookups: an HTTP request templated (jinja2, sandboxed) from the caller's
number and the IVR variables, and what to do with its JSON answer (read a field back,
save fields into variables, branch on a field's value).

Parsing happens at load (``parse_lookup``: every template compiled and every name it uses
checked); the helpers below it are pure and used by the runner at call time. The HTTP call
itself is the telephony side's (``services.CallServices.http``)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from ccengine.core.errors import ConfigError
from ccengine.telephony.ivr.model import Action, Branch, Lookup, Say

ENV = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
CONTEXT = frozenset({"caller", "service_number", "language", "vars", "urls",
                     "interaction_id"})
SAY_KINDS = ("prompt", "digits", "number", "characters", "prompt_by")
MAX_TIMEOUT = 30.0
MAX_ANSWER_BYTES = 1_000_000
_FIELD = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
_VALID = {"digits": re.compile(r"^[0-9*#]{1,64}$"), "number": re.compile(r"^-?[0-9]{1,15}$"),
          "characters": re.compile(r"^[A-Za-z0-9]{1,64}$")}


class LoaderView(Protocol):
    """What lookups need from the flow loader."""

    variables: set[str]
    urls: Mapping[str, str]

    def error(self, key: str, message: str) -> ConfigError: ...
    def prompt(self, key: str, value: Any) -> tuple[str, ...]: ...
    def action(self, key: str, value: Any) -> Action: ...
    def keys(self, key: str, doc: Any, allowed: set[str]) -> dict[str, Any]: ...


# ------------------------------------------------------------------ load time
def parse_lookup(w: LoaderView, name: str, doc: Any) -> Lookup:
    key = f"lookups.{name}"
    d = w.keys(key, doc, {"url", "method", "headers", "body", "timeout", "save", "say",
                          "branch", "then", "on_failure"})
    method = d.get("method", "GET")
    if method not in ("GET", "POST"):
        raise w.error(f"{key}.method", "must be GET or POST")
    if "url" not in d:
        raise w.error(f"{key}.url", "is required (an http:// or https:// URL template)")
    url = template(w, f"{key}.url", d["url"])
    source = d["url"]
    if not source.lstrip().startswith(("http://", "https://", "{{")):
        raise w.error(f"{key}.url", "must be an http:// or https:// URL (or start with a "
                                    "template such as {{ urls.crm }})")
    headers_doc = d.get("headers", {})
    if not isinstance(headers_doc, dict):
        raise w.error(f"{key}.headers", "must map header names to (templated) values")
    headers = {str(h): template(w, f"{key}.headers.{h}", v) for h, v in headers_doc.items()}
    body = d.get("body")
    if body is not None and method == "GET":
        raise w.error(f"{key}.body", "a GET request has no body: use method: POST")
    timeout = d.get("timeout", 3)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not 0 < timeout <= MAX_TIMEOUT:
        raise w.error(f"{key}.timeout", f"must be a number of seconds, above 0 and at most "
                                        f"{MAX_TIMEOUT:.0f}")
    save_doc = d.get("save", {})
    if not isinstance(save_doc, dict):
        raise w.error(f"{key}.save", "must map variable names to fields of the answer")
    save = {str(v): field_name(w, f"{key}.save.{v}", f) for v, f in save_doc.items()}
    say = tuple(_say(w, f"{key}.say[{n}]", item) for n, item in enumerate(_list(
        w, f"{key}.say", d.get("say", []))))
    branch = _branch(w, f"{key}.branch", d["branch"]) if "branch" in d else None
    then = w.action(f"{key}.then", d["then"]) if "then" in d else None
    if branch is None and then is None:
        raise w.error(f"{key}.then", "is required (or a branch)")
    if "on_failure" not in d:
        raise w.error(f"{key}.on_failure", "is required: where callers go when the service "
                                           "fails, answers late or answers nonsense")
    return Lookup(name=name, method=method, url=url, headers=headers,
                  body=None if body is None else _body(w, f"{key}.body", body),
                  timeout=float(timeout), save=save, say=say, branch=branch, then=then,
                  on_failure=w.action(f"{key}.on_failure", d["on_failure"]))


def template(w: LoaderView, key: str, source: Any) -> jinja2.Template:
    """Compile a template, checking every name it uses (variables, urls) exists."""
    if not isinstance(source, str):
        raise w.error(key, "must be text (a jinja2 template)")
    try:
        ast = ENV.parse(source)
    except jinja2.TemplateSyntaxError as e:
        raise w.error(key, f"template error: {e.message}") from e
    unknown = meta.find_undeclared_variables(ast) - CONTEXT
    if unknown:
        raise w.error(key, f"unknown name(s) {sorted(unknown)} in template; known: "
                           f"{sorted(CONTEXT)}")
    for kind, known in (("vars", w.variables), ("urls", set(w.urls))):
        for used in _attributes_of(ast, kind):
            if used not in known:
                raise w.error(key, f"{kind}.{used} is not defined; known: {sorted(known)}"
                              + (" (set by an input's variable or a lookup's save)"
                                 if kind == "vars" else " (ivr.urls in the engine config)"))
    return ENV.from_string(source)


def _attributes_of(ast: nodes.Template, name: str) -> set[str]:
    found = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node.node, nodes.Name) and node.node.name == name:
            if isinstance(node, nodes.Getattr):
                found.add(node.attr)
            elif isinstance(node.arg, nodes.Const):
                found.add(str(node.arg.value))
    return found


def field_name(w: LoaderView, key: str, value: Any) -> str:
    if not isinstance(value, str) or not _FIELD.match(value):
        raise w.error(key, "must name a field of the JSON answer (e.g. balance or "
                           "account.status)")
    return value


def _list(w: LoaderView, key: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise w.error(key, "must be a list")
    return value


def _body(w: LoaderView, key: str, value: Any) -> Any:
    if isinstance(value, str):
        return template(w, key, value)
    if isinstance(value, dict):
        return {str(k): _body(w, f"{key}.{k}", v) for k, v in value.items()}
    if isinstance(value, list):
        return [_body(w, f"{key}[{n}]", v) for n, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise w.error(key, "must be text, a number, true/false, null, a list or a mapping")


def _say(w: LoaderView, key: str, doc: Any) -> Say:
    if not isinstance(doc, dict):
        raise w.error(key, f"must be a mapping with one of {list(SAY_KINDS)}")
    kinds = [k for k in SAY_KINDS if k in doc]
    if len(kinds) != 1:
        raise w.error(key, f"must have exactly one of {list(SAY_KINDS)}")
    kind = kinds[0]
    if kind == "prompt":
        w.keys(key, doc, {"prompt"})
        return Say("prompt", prompt=w.prompt(f"{key}.prompt", doc["prompt"]))
    if kind != "prompt_by":
        w.keys(key, doc, {kind})
        return Say(kind, key=field_name(w, f"{key}.{kind}", doc[kind]))
    w.keys(key, doc, {"prompt_by", "prompts", "default"})
    choices_doc = doc.get("prompts")
    if not isinstance(choices_doc, dict) or not choices_doc:
        raise w.error(f"{key}.prompts", "must map the field's values to prompts")
    choices = {text_of(v): w.prompt(f"{key}.prompts.{v}", p) for v, p in choices_doc.items()}
    default = w.prompt(f"{key}.default", doc["default"]) if "default" in doc else None
    return Say("prompt_by", key=field_name(w, f"{key}.prompt_by", doc["prompt_by"]),
               choices=choices, default=default)


def _branch(w: LoaderView, key: str, doc: Any) -> Branch:
    d = w.keys(key, doc, {"field", "cases", "default"})
    cases_doc = d.get("cases")
    if not isinstance(cases_doc, dict) or not cases_doc:
        raise w.error(f"{key}.cases", "must map the field's values to actions")
    cases = {text_of(v): w.action(f"{key}.cases.{v}", a) for v, a in cases_doc.items()}
    default = w.action(f"{key}.default", d["default"]) if "default" in d else None
    return Branch(field_name(w, f"{key}.field", d.get("field")), cases, default)


# ------------------------------------------------------------------ call time
class LookupFailed(Exception):
    """The lookup cannot go on; ``outcome`` says why (recorded on the interaction)."""

    def __init__(self, outcome: str, detail: str = "") -> None:
        super().__init__(f"{outcome}: {detail}" if detail else outcome)
        self.outcome, self.detail = outcome, detail


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    timeout: float = 3.0


@dataclass(frozen=True)
class HttpAnswer:
    """``outcome`` ok (``data`` is the decoded JSON) or timeout | unreachable | not_json |
    http_<status>."""

    outcome: str
    data: Any = None


def render_request(lookup: Lookup, context: Mapping[str, Any]) -> HttpRequest:
    """The request for ``context`` (LookupFailed template_error / bad_url)."""
    try:
        url = lookup.url.render(context).strip()
        headers = {h: t.render(context) for h, t in lookup.headers.items()}
        body = None
        if isinstance(lookup.body, jinja2.Template):
            body = lookup.body.render(context)
        elif lookup.body is not None:
            body = json.dumps(_render_tree(lookup.body, context))
    except jinja2.TemplateError as e:
        raise LookupFailed("template_error", str(e)) from e
    if not url.startswith(("http://", "https://")):
        raise LookupFailed("bad_url", url[:200])
    if body is not None and not any(h.lower() == "content-type" for h in headers):
        headers["Content-Type"] = "application/json"
    return HttpRequest(lookup.method, url, headers, body, lookup.timeout)


def _render_tree(value: Any, context: Mapping[str, Any]) -> Any:
    if isinstance(value, jinja2.Template):
        return value.render(context)
    if isinstance(value, dict):
        return {k: _render_tree(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_tree(v, context) for v in value]
    return value


def field_value(data: Any, path: str) -> Any:
    """The value at dotted ``path`` in a JSON answer (LookupFailed no_field)."""
    value = data
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise LookupFailed("no_field", path)
    return value


def text_of(value: Any) -> str:
    """A JSON (or YAML) scalar as the text branches and variables compare with."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        raise LookupFailed("bad_value", "a list or mapping where a single value was expected")
    return str(value)


def say_media(say: tuple[Say, ...], data: Any) -> tuple[str, ...]:
    """What to play to read the answer back: prompt names and digits:/number:/characters:
    media (LookupFailed no_field / bad_value when the answer does not fit)."""
    out: list[str] = []
    for item in say:
        if item.kind == "prompt":
            out.extend(item.prompt)
            continue
        value = text_of(field_value(data, item.key))
        if item.kind == "prompt_by":
            chosen = item.choices.get(value, item.default)
            if chosen is None:
                raise LookupFailed("bad_value", f"{item.key}={value[:40]!r} has no prompt")
            out.extend(chosen)
            continue
        if not _VALID[item.kind].match(value):
            raise LookupFailed("bad_value", f"{item.key}={value[:40]!r} cannot be said as "
                                            f"{item.kind}")
        out.append(f"{item.kind}:{value}")
    return tuple(out)


def next_action(lookup: Lookup, data: Any) -> tuple[Action, str | None]:
    """Where the caller goes after a good answer, and the branch value (if it branched)."""
    if lookup.branch is None:
        if lookup.then is None:
            raise LookupFailed("no_branch")
        return lookup.then, None
    value = text_of(field_value(data, lookup.branch.key))
    action = lookup.branch.cases.get(value, lookup.branch.default) or lookup.then
    if action is None:
        raise LookupFailed("no_branch", f"{lookup.branch.key}={value[:40]!r}")
    return action, value
