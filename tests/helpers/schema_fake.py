"""A minimal valid instance of a JSON schema, for scripted mock models in workflow tests."""

from __future__ import annotations

from typing import Any


def fake(schema: dict[str, Any], root: dict[str, Any] | None = None, text: str = "a valid test answer") -> Any:
    """The smallest plausible value satisfying ``schema`` (objects, arrays, enums, refs, bounds)."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return fake(root["$defs"][name], root, text)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return fake(options[0], root, text)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {k: fake(v, root, text) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [fake(schema.get("items", {}), root, text) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "integer":
        return int(schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1))
    if kind == "number":
        return float(schema.get("minimum", 0.5))
    if kind == "boolean":
        return True
    return text
