"""Schema-valid structured output for ragas' prompts, decided from lexical evidence.

ragas asks for a Pydantic model per step (statements, NLI verdicts, generated questions, discrete
values, rubric scores). The schema's title says which step it is; the step's input is the last
`input: {...}` JSON of the prompt (ragas' template) or our fenced blocks. Unknown schemas get a minimal
instance that still validates, so any ragas metric runs end to end against the simulator.
"""

from __future__ import annotations

import json
import re
from typing import Any

from paritylab.metrics.fence import fenced_sections
from paritylab.sim.judge import Evidence, assess, declines, support
from paritylab.sim.text import content_words, sentences, words


def structured_reply(schema: dict[str, Any], prompt: str) -> dict[str, Any]:
    data = last_input(prompt)
    title = str(schema.get("title", ""))
    if title == "StatementGeneratorOutput":
        return {"statements": sentences(str(data.get("answer", data.get("response", ""))))}
    if title == "NLIStatementOutput":
        return {"statements": nli_verdicts(str(data.get("context", "")), data.get("statements") or [])}
    if title in ("AnswerRelevanceOutput", "ResponseRelevanceOutput"):
        response = str(data.get("response", ""))
        return {"question": question_for(response), "noncommittal": int(declines(response))}
    if title == "ScoreFeedback":
        ev = _evidence(prompt, data)
        return {"feedback": f"SIMULATED judge. {ev.reason}", "score": 1 + round(ev.quality * 4)}
    value = schema.get("properties", {}).get("value", {})
    if "enum" in value or "const" in value:
        return discrete(prompt, data, value.get("enum") or [value["const"]])
    instance = minimal_instance(schema, schema.get("$defs", {}))
    return instance if isinstance(instance, dict) else {"value": instance}


def last_input(prompt: str) -> dict[str, Any]:
    """ragas' prompt ends with `input: {json}` after the examples: the last one is the real input."""
    for match in reversed(list(re.finditer(r"\binput: ", prompt))):
        try:
            value, _ = json.JSONDecoder().raw_decode(prompt, match.end())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return {}


def nli_verdicts(context: str, statements: list[Any]) -> list[dict[str, Any]]:
    out = []
    for statement in map(str, statements):
        ok = support(statement, context) == 1.0
        reason = "its content words all occur in the context" if ok else "the context does not state this"
        out.append({"statement": statement, "reason": f"SIMULATED: {reason}.", "verdict": int(ok)})
    return out


def question_for(response: str) -> str:
    """A question the response answers, lexically: its most informative words, as a question."""
    first = sentences(response)[:1]
    keep = content_words(first[0]) if first else set()
    ordered = [w for w in dict.fromkeys(words(first[0]) if first else []) if w in keep][:12]
    return f"What about {' '.join(ordered)}?" if ordered else ""


def _evidence(prompt: str, data: dict[str, Any]) -> Evidence:
    fenced = fenced_sections(prompt)
    if fenced:
        return assess(
            fenced.get("question", ""),
            fenced.get("context"),
            fenced.get("reference"),
            fenced.get("answer", ""),
        )
    contexts = data.get("retrieved_contexts") or []
    context = "\n\n".join(map(str, contexts)) if isinstance(contexts, list) else str(contexts)
    return assess(
        str(data.get("user_input", "")), context or None, data.get("reference"), str(data.get("response", ""))
    )


def discrete(prompt: str, data: dict[str, Any], allowed: list[Any]) -> dict[str, Any]:
    """Pick an allowed value: numeric labels map the quality onto their range, pass/fail at 0.5."""
    ev = _evidence(prompt, data)
    labels = [str(a) for a in allowed]
    if all(label.lstrip("-").isdigit() for label in labels):
        ordered = sorted(labels, key=int)
        chosen = ordered[round(ev.quality * (len(ordered) - 1))]
    elif {"pass", "fail"} <= set(labels):
        chosen = "pass" if ev.quality >= 0.5 else "fail"
    else:
        chosen = labels[0]
    return {"reason": f"SIMULATED judge. {ev.reason}", "value": chosen}


def minimal_instance(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return minimal_instance(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return minimal_instance(options[0], defs)
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: minimal_instance(sub, defs) for name, sub in props.items()}
    defaults = {"array": [], "string": "", "integer": 0, "number": 0.0, "boolean": False, "null": None}
    return defaults.get(kind)
