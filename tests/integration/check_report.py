#!/usr/bin/env python3
"""Validates a sandbox run report against docs/report.schema.json.

usage: check_report.py SCHEMA REPORT [--expect PATH=JSON ...]

Implements the subset of JSON Schema the report schema uses (type, required, properties,
additionalProperties, items, enum), so nothing beyond python3's standard library is needed; a
schema keyword outside that subset is an error rather than silently ignored. Each --expect
compares the value at a dotted PATH (array indices as numbers, e.g. error.errno_name or
command.0) with a JSON value. Exit status: 0 valid, 1 invalid, 2 usage or unreadable input.
"""
import json
import sys

SUPPORTED = {"type", "required", "properties", "additionalProperties", "items", "enum"}
ANNOTATIONS = {"$schema", "$id", "title", "description"}


def type_matches(value, name):
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    raise ValueError("unknown type %r in schema" % name)


def validate(value, schema, where, errors):
    unknown = set(schema) - SUPPORTED - ANNOTATIONS
    if unknown:
        raise ValueError("%s: schema keywords not supported: %s" % (where, sorted(unknown)))
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(type_matches(value, t) for t in types):
            errors.append("%s: expected %s, got %s" % (where, " or ".join(types), json.dumps(value)))
            return
    # 1 == True in Python: compare types too, so true never matches 1.
    if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
        errors.append("%s: %s is not one of %s" % (where, json.dumps(value), schema["enum"]))
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: missing required key %r" % (where, key))
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                validate(item, properties[key], "%s.%s" % (where, key), errors)
            elif extra is False:
                errors.append("%s: unexpected key %r" % (where, key))
            elif isinstance(extra, dict):
                validate(item, extra, "%s.%s" % (where, key), errors)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            validate(item, schema["items"], "%s[%d]" % (where, index), errors)


def lookup(document, path):
    value = document
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value[part]
        else:
            raise KeyError(part)
    return value


def strict_load(path):
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        duplicated = {k for k in keys if keys.count(k) > 1}
        if duplicated:
            raise ValueError("duplicate keys %s" % sorted(duplicated))
        return dict(pairs)

    def no_constants(name):
        raise ValueError("%s is not JSON" % name)

    with open(path, "rb") as f:
        text = f.read().decode("utf-8")  # strict: a report is always UTF-8
    return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)


def main(argv):
    args = argv[1:]
    if len(args) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    expectations = []
    rest = args[2:]
    while rest:
        if rest[0] != "--expect" or len(rest) < 2 or "=" not in rest[1]:
            print("check_report.py: bad arguments %s" % rest, file=sys.stderr)
            return 2
        path, _, expected = rest[1].partition("=")
        expectations.append((path, json.loads(expected)))
        rest = rest[2:]
    try:
        schema = strict_load(args[0])
        document = strict_load(args[1])
    except (OSError, ValueError) as e:
        print("check_report.py: %s" % e, file=sys.stderr)
        return 2 if not isinstance(e, ValueError) else 1

    errors = []
    validate(document, schema, "report", errors)
    for path, expected in expectations:
        try:
            actual = lookup(document, path)
        except (KeyError, IndexError, ValueError):
            errors.append("%s: absent, expected %s" % (path, json.dumps(expected)))
            continue
        if actual != expected or type(actual) is not type(expected):
            errors.append("%s: %s, expected %s" % (path, json.dumps(actual), json.dumps(expected)))
    for error in errors:
        print(error)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
