// The metaschemas of drafts 04, 06 and 2019-09, bundled so `$schema` and metaschema `$ref`s
// resolve offline. Texts follow json-schema.org's published documents.

extension Metaschemas {
    /// The older dialects' metaschemas by URI (no trailing `#`).
    static let legacy: [String: String] = [
        "http://json-schema.org/draft-04/schema": draft04,
        "http://json-schema.org/draft-06/schema": draft06,
        "https://json-schema.org/draft/2019-09/schema": schema2019,
        "https://json-schema.org/draft/2019-09/meta/core": core2019,
        "https://json-schema.org/draft/2019-09/meta/applicator": applicator2019,
        "https://json-schema.org/draft/2019-09/meta/validation": validation2019,
        "https://json-schema.org/draft/2019-09/meta/meta-data": metaData2019,
        "https://json-schema.org/draft/2019-09/meta/format": format2019,
        "https://json-schema.org/draft/2019-09/meta/content": content2019,
    ]

    static let draft04 = #"""
    {
        "id": "http://json-schema.org/draft-04/schema#",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": "Core schema meta-schema",
        "definitions": {
            "schemaArray": { "type": "array", "minItems": 1, "items": { "$ref": "#" } },
            "positiveInteger": { "type": "integer", "minimum": 0 },
            "positiveIntegerDefault0": { "allOf": [ { "$ref": "#/definitions/positiveInteger" }, { "default": 0 } ] },
            "simpleTypes": { "enum": [ "array", "boolean", "integer", "null", "number", "object", "string" ] },
            "stringArray": { "type": "array", "items": { "type": "string" }, "minItems": 1, "uniqueItems": true }
        },
        "type": "object",
        "properties": {
            "id": { "type": "string" },
            "$schema": { "type": "string" },
            "title": { "type": "string" },
            "description": { "type": "string" },
            "default": {},
            "multipleOf": { "type": "number", "minimum": 0, "exclusiveMinimum": true },
            "maximum": { "type": "number" },
            "exclusiveMaximum": { "type": "boolean", "default": false },
            "minimum": { "type": "number" },
            "exclusiveMinimum": { "type": "boolean", "default": false },
            "maxLength": { "$ref": "#/definitions/positiveInteger" },
            "minLength": { "$ref": "#/definitions/positiveIntegerDefault0" },
            "pattern": { "type": "string", "format": "regex" },
            "additionalItems": { "anyOf": [ { "type": "boolean" }, { "$ref": "#" } ], "default": {} },
            "items": { "anyOf": [ { "$ref": "#" }, { "$ref": "#/definitions/schemaArray" } ], "default": {} },
            "maxItems": { "$ref": "#/definitions/positiveInteger" },
            "minItems": { "$ref": "#/definitions/positiveIntegerDefault0" },
            "uniqueItems": { "type": "boolean", "default": false },
            "maxProperties": { "$ref": "#/definitions/positiveInteger" },
            "minProperties": { "$ref": "#/definitions/positiveIntegerDefault0" },
            "required": { "$ref": "#/definitions/stringArray" },
            "additionalProperties": { "anyOf": [ { "type": "boolean" }, { "$ref": "#" } ], "default": {} },
            "definitions": { "type": "object", "additionalProperties": { "$ref": "#" }, "default": {} },
            "properties": { "type": "object", "additionalProperties": { "$ref": "#" }, "default": {} },
            "patternProperties": { "type": "object", "additionalProperties": { "$ref": "#" }, "default": {} },
            "dependencies": { "type": "object", "additionalProperties": { "anyOf": [ { "$ref": "#" }, { "$ref": "#/definitions/stringArray" } ] } },
            "enum": { "type": "array", "minItems": 1, "uniqueItems": true },
            "type": { "anyOf": [
                { "$ref": "#/definitions/simpleTypes" },
                { "type": "array", "items": { "$ref": "#/definitions/simpleTypes" }, "minItems": 1, "uniqueItems": true }
            ] },
            "format": { "type": "string" },
            "allOf": { "$ref": "#/definitions/schemaArray" },
            "anyOf": { "$ref": "#/definitions/schemaArray" },
            "oneOf": { "$ref": "#/definitions/schemaArray" },
            "not": { "$ref": "#" }
        },
        "dependencies": { "exclusiveMaximum": [ "maximum" ], "exclusiveMinimum": [ "minimum" ] },
        "default": {}
    }
    """#

    static let draft06 = #"""
    {
        "$schema": "http://json-schema.org/draft-06/schema#",
        "$id": "http://json-schema.org/draft-06/schema#",
        "title": "Core schema meta-schema",
        "definitions": {
            "schemaArray": { "type": "array", "minItems": 1, "items": { "$ref": "#" } },
            "nonNegativeInteger": { "type": "integer", "minimum": 0 },
            "nonNegativeIntegerDefault0": { "allOf": [ { "$ref": "#/definitions/nonNegativeInteger" }, { "default": 0 } ] },
            "simpleTypes": { "enum": [ "array", "boolean", "integer", "null", "number", "object", "string" ] },
            "stringArray": { "type": "array", "items": { "type": "string" }, "uniqueItems": true, "default": [] }
        },
        "type": [ "object", "boolean" ],
        "properties": {
            "$id": { "type": "string", "format": "uri-reference" },
            "$schema": { "type": "string", "format": "uri" },
            "$ref": { "type": "string", "format": "uri-reference" },
            "title": { "type": "string" },
            "description": { "type": "string" },
            "default": {},
            "examples": { "type": "array", "items": {} },
            "multipleOf": { "type": "number", "exclusiveMinimum": 0 },
            "maximum": { "type": "number" },
            "exclusiveMaximum": { "type": "number" },
            "minimum": { "type": "number" },
            "exclusiveMinimum": { "type": "number" },
            "maxLength": { "$ref": "#/definitions/nonNegativeInteger" },
            "minLength": { "$ref": "#/definitions/nonNegativeIntegerDefault0" },
            "pattern": { "type": "string", "format": "regex" },
            "additionalItems": { "$ref": "#" },
            "items": { "anyOf": [ { "$ref": "#" }, { "$ref": "#/definitions/schemaArray" } ], "default": {} },
            "maxItems": { "$ref": "#/definitions/nonNegativeInteger" },
            "minItems": { "$ref": "#/definitions/nonNegativeIntegerDefault0" },
            "uniqueItems": { "type": "boolean", "default": false },
            "contains": { "$ref": "#" },
            "maxProperties": { "$ref": "#/definitions/nonNegativeInteger" },
            "minProperties": { "$ref": "#/definitions/nonNegativeIntegerDefault0" },
            "required": { "$ref": "#/definitions/stringArray" },
            "additionalProperties": { "$ref": "#" },
            "definitions": { "type": "object", "additionalProperties": { "$ref": "#" }, "default": {} },
            "properties": { "type": "object", "additionalProperties": { "$ref": "#" }, "default": {} },
            "patternProperties": { "type": "object", "additionalProperties": { "$ref": "#" }, "default": {} },
            "dependencies": { "type": "object", "additionalProperties": { "anyOf": [ { "$ref": "#" }, { "$ref": "#/definitions/stringArray" } ] } },
            "propertyNames": { "$ref": "#" },
            "const": {},
            "enum": { "type": "array" },
            "type": { "anyOf": [
                { "$ref": "#/definitions/simpleTypes" },
                { "type": "array", "items": { "$ref": "#/definitions/simpleTypes" }, "minItems": 1, "uniqueItems": true }
            ] },
            "format": { "type": "string" },
            "allOf": { "$ref": "#/definitions/schemaArray" },
            "anyOf": { "$ref": "#/definitions/schemaArray" },
            "oneOf": { "$ref": "#/definitions/schemaArray" },
            "not": { "$ref": "#" }
        },
        "default": {}
    }
    """#

    static let schema2019 = #"""
    {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": "https://json-schema.org/draft/2019-09/schema",
        "$vocabulary": {
            "https://json-schema.org/draft/2019-09/vocab/core": true,
            "https://json-schema.org/draft/2019-09/vocab/applicator": true,
            "https://json-schema.org/draft/2019-09/vocab/validation": true,
            "https://json-schema.org/draft/2019-09/vocab/meta-data": true,
            "https://json-schema.org/draft/2019-09/vocab/format": false,
            "https://json-schema.org/draft/2019-09/vocab/content": true
        },
        "$recursiveAnchor": true,
        "title": "Core and Validation specifications meta-schema",
        "allOf": [
            { "$ref": "meta/core" },
            { "$ref": "meta/applicator" },
            { "$ref": "meta/validation" },
            { "$ref": "meta/meta-data" },
            { "$ref": "meta/format" },
            { "$ref": "meta/content" }
        ],
        "type": [ "object", "boolean" ],
        "properties": {
            "definitions": { "type": "object", "additionalProperties": { "$recursiveRef": "#" }, "default": {} },
            "dependencies": {
                "type": "object",
                "additionalProperties": { "anyOf": [ { "$recursiveRef": "#" }, { "$ref": "meta/validation#/$defs/stringArray" } ] }
            }
        }
    }
    """#

    static let core2019 = #"""
    {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": "https://json-schema.org/draft/2019-09/meta/core",
        "$vocabulary": { "https://json-schema.org/draft/2019-09/vocab/core": true },
        "$recursiveAnchor": true,
        "title": "Core vocabulary meta-schema",
        "type": [ "object", "boolean" ],
        "properties": {
            "$id": { "type": "string", "format": "uri-reference", "pattern": "^[^#]*#?$" },
            "$schema": { "type": "string", "format": "uri" },
            "$anchor": { "type": "string", "pattern": "^[A-Za-z][-A-Za-z0-9.:_]*$" },
            "$ref": { "type": "string", "format": "uri-reference" },
            "$recursiveRef": { "type": "string", "format": "uri-reference" },
            "$recursiveAnchor": { "type": "boolean", "default": false },
            "$vocabulary": { "type": "object", "propertyNames": { "type": "string", "format": "uri" }, "additionalProperties": { "type": "boolean" } },
            "$comment": { "type": "string" },
            "$defs": { "type": "object", "additionalProperties": { "$recursiveRef": "#" }, "default": {} }
        }
    }
    """#

    static let applicator2019 = #"""
    {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": "https://json-schema.org/draft/2019-09/meta/applicator",
        "$vocabulary": { "https://json-schema.org/draft/2019-09/vocab/applicator": true },
        "$recursiveAnchor": true,
        "title": "Applicator vocabulary meta-schema",
        "type": [ "object", "boolean" ],
        "properties": {
            "additionalItems": { "$recursiveRef": "#" },
            "unevaluatedItems": { "$recursiveRef": "#" },
            "items": { "anyOf": [ { "$recursiveRef": "#" }, { "$ref": "#/$defs/schemaArray" } ] },
            "contains": { "$recursiveRef": "#" },
            "additionalProperties": { "$recursiveRef": "#" },
            "unevaluatedProperties": { "$recursiveRef": "#" },
            "properties": { "type": "object", "additionalProperties": { "$recursiveRef": "#" }, "default": {} },
            "patternProperties": { "type": "object", "additionalProperties": { "$recursiveRef": "#" }, "propertyNames": { "format": "regex" }, "default": {} },
            "dependentSchemas": { "type": "object", "additionalProperties": { "$recursiveRef": "#" } },
            "propertyNames": { "$recursiveRef": "#" },
            "if": { "$recursiveRef": "#" },
            "then": { "$recursiveRef": "#" },
            "else": { "$recursiveRef": "#" },
            "allOf": { "$ref": "#/$defs/schemaArray" },
            "anyOf": { "$ref": "#/$defs/schemaArray" },
            "oneOf": { "$ref": "#/$defs/schemaArray" },
            "not": { "$recursiveRef": "#" }
        },
        "$defs": { "schemaArray": { "type": "array", "minItems": 1, "items": { "$recursiveRef": "#" } } }
    }
    """#

    static let validation2019 = #"""
    {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": "https://json-schema.org/draft/2019-09/meta/validation",
        "$vocabulary": { "https://json-schema.org/draft/2019-09/vocab/validation": true },
        "$recursiveAnchor": true,
        "title": "Validation vocabulary meta-schema",
        "type": [ "object", "boolean" ],
        "properties": {
            "multipleOf": { "type": "number", "exclusiveMinimum": 0 },
            "maximum": { "type": "number" },
            "exclusiveMaximum": { "type": "number" },
            "minimum": { "type": "number" },
            "exclusiveMinimum": { "type": "number" },
            "maxLength": { "$ref": "#/$defs/nonNegativeInteger" },
            "minLength": { "$ref": "#/$defs/nonNegativeIntegerDefault0" },
            "pattern": { "type": "string", "format": "regex" },
            "maxItems": { "$ref": "#/$defs/nonNegativeInteger" },
            "minItems": { "$ref": "#/$defs/nonNegativeIntegerDefault0" },
            "uniqueItems": { "type": "boolean", "default": false },
            "maxContains": { "$ref": "#/$defs/nonNegativeInteger" },
            "minContains": { "$ref": "#/$defs/nonNegativeInteger", "default": 1 },
            "maxProperties": { "$ref": "#/$defs/nonNegativeInteger" },
            "minProperties": { "$ref": "#/$defs/nonNegativeIntegerDefault0" },
            "required": { "$ref": "#/$defs/stringArray" },
            "dependentRequired": { "type": "object", "additionalProperties": { "$ref": "#/$defs/stringArray" } },
            "const": true,
            "enum": { "type": "array", "items": true },
            "type": { "anyOf": [
                { "$ref": "#/$defs/simpleTypes" },
                { "type": "array", "items": { "$ref": "#/$defs/simpleTypes" }, "minItems": 1, "uniqueItems": true }
            ] }
        },
        "$defs": {
            "nonNegativeInteger": { "type": "integer", "minimum": 0 },
            "nonNegativeIntegerDefault0": { "$ref": "#/$defs/nonNegativeInteger", "default": 0 },
            "simpleTypes": { "enum": [ "array", "boolean", "integer", "null", "number", "object", "string" ] },
            "stringArray": { "type": "array", "items": { "type": "string" }, "uniqueItems": true, "default": [] }
        }
    }
    """#

    static let metaData2019 = #"""
    {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": "https://json-schema.org/draft/2019-09/meta/meta-data",
        "$vocabulary": { "https://json-schema.org/draft/2019-09/vocab/meta-data": true },
        "$recursiveAnchor": true,
        "title": "Meta-data vocabulary meta-schema",
        "type": [ "object", "boolean" ],
        "properties": {
            "title": { "type": "string" },
            "description": { "type": "string" },
            "default": true,
            "deprecated": { "type": "boolean", "default": false },
            "readOnly": { "type": "boolean", "default": false },
            "writeOnly": { "type": "boolean", "default": false },
            "examples": { "type": "array", "items": true }
        }
    }
    """#

    static let format2019 = #"""
    {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": "https://json-schema.org/draft/2019-09/meta/format",
        "$vocabulary": { "https://json-schema.org/draft/2019-09/vocab/format": true },
        "$recursiveAnchor": true,
        "title": "Format vocabulary meta-schema",
        "type": [ "object", "boolean" ],
        "properties": { "format": { "type": "string" } }
    }
    """#

    static let content2019 = #"""
    {
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": "https://json-schema.org/draft/2019-09/meta/content",
        "$vocabulary": { "https://json-schema.org/draft/2019-09/vocab/content": true },
        "$recursiveAnchor": true,
        "title": "Content vocabulary meta-schema",
        "type": [ "object", "boolean" ],
        "properties": {
            "contentMediaType": { "type": "string" },
            "contentEncoding": { "type": "string" },
            "contentSchema": { "$recursiveRef": "#" }
        }
    }
    """#
}
