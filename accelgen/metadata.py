"""A unit's manifest on Amaranth's own metadata: ``wiring.ComponentMetadata`` of the
unit (its ports, as Amaranth describes any component) carrying an accelgen annotation
(what Amaranth cannot know: layouts, latency, the job protocol), and the JSON Schema
every manifest is checked against (accelgen/manifest.schema.json, shipped with the
package)."""

import json
import pprint
import warnings
from functools import cache
from importlib import resources

from amaranth.lib import meta, wiring

_FIELD = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "offset": {"type": "integer", "minimum": 0},
                   "element_bits": {"type": "integer", "minimum": 1},
                   "elements": {"type": "integer", "minimum": 1},
                   "signed": {"type": "boolean"}},
    "required": ["name", "offset", "element_bits", "elements", "signed"],
    "additionalProperties": False,
}


class UnitAnnotation(meta.Annotation):
    """What a generated unit is, beyond its ports: kind and config, the payload layout of
    every stream (and of struct ports such as the KV buffer's ``status``), the element
    order inside array fields, latency, throughput and the job protocol."""

    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://accelgen.github.io/schema/0.1/unit.json",
        "type": "object",
        "properties": {
            "kind": {"type": "string"},
            "accelgen": {"type": "string"},
            "config_hash": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            "config": {"type": "object"},
            "layouts": {"type": "object", "additionalProperties": {
                "type": "object",
                "properties": {"bits": {"type": "integer", "minimum": 1},
                               "fields": {"type": "array", "items": _FIELD}},
                "required": ["bits", "fields"], "additionalProperties": False}},
            "element_order": {"enum": ["lsb_first"]},
            "latency_cycles": {"type": "integer", "minimum": 0},
            "throughput": {"type": "string"},
            "job_protocol": {"type": "string"},
        },
        "required": ["kind", "accelgen", "config_hash", "config", "layouts", "element_order",
                     "latency_cycles", "throughput", "job_protocol"],
        "additionalProperties": False,
    }

    def __init__(self, component: wiring.Component, description: dict):
        self._origin, self._description = component, description

    @property
    def origin(self):
        return self._origin

    def as_json(self) -> dict:
        return dict(self._description)


def component_metadata(component: wiring.Component, annotation: UnitAnnotation) -> dict:
    """Amaranth's metadata of ``component`` with ``annotation`` on its interface, as
    Amaranth writes a signature's own annotations (keyed by the schema's ``$id``)."""
    metadata = wiring.ComponentMetadata(component).as_json()
    metadata["interface"]["annotations"][UnitAnnotation.schema["$id"]] = annotation.as_json()
    return metadata


def ports_of(metadata: dict) -> list[tuple[tuple, dict]]:
    """(member path, port) of every port in the metadata, in signature order."""
    found = []

    def walk(members: dict, path: tuple):
        for name, member in members.items():
            if member["type"] == "port":
                found.append(((*path, name), member))
            else:
                walk(member["members"], (*path, name))
    walk(metadata["interface"]["members"], ())
    return found


@cache
def manifest_schema() -> dict:
    return json.loads(resources.files("accelgen").joinpath("manifest.schema.json").read_text())


def manifest_errors(manifest: dict) -> list:
    """Where ``manifest`` breaks the shipped JSON Schema, Amaranth's component schema or
    the accelgen annotation's (empty: it is valid)."""
    import jschon
    with warnings.catch_warnings():     # (jschon's rfc3986 dependency warns on import)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        catalog = jschon.create_catalog("2020-12")
        result = jschon.JSONSchema(manifest_schema(), catalog=catalog).evaluate(
            jschon.JSON(manifest))
    errors = [] if result.valid else result.output("basic")["errors"]
    if "metadata" in manifest:
        for check in (wiring.ComponentMetadata.validate,
                      lambda metadata: UnitAnnotation.validate(
                          metadata["interface"]["annotations"][UnitAnnotation.schema["$id"]])):
            try:
                check(manifest["metadata"])
            except (meta.InvalidAnnotation, KeyError, TypeError) as error:
                errors.append(str(error))
    return errors


def check_manifest(manifest: dict):
    """A generated manifest that breaks its schema is a bug of ours."""
    errors = manifest_errors(manifest)
    if errors:
        raise RuntimeError(f"manifest of {manifest.get('module')} breaks its schema:\n"
                           + pprint.pformat(errors))
