/**
 * The metadata definition (metadefs) schemas exactly as glance 25 (Zed) serves them from
 * GET /v2/schemas/metadefs/*, generated from python3-glance's schemas.Controller and kept
 * as data. Collections are built as glance's CollectionSchema and DictCollectionSchema
 * build theirs (item without definitions, definitions moved to the collection), so each
 * item schema is written once.
 */

/** GET /v2/schemas/metadefs/namespace. */
export const METADEF_NAMESPACE_SCHEMA = {
  "name": "namespace",
  "properties": {
    "namespace": {
      "type": "string",
      "description": "The unique namespace text.",
      "maxLength": 80
    },
    "display_name": {
      "type": "string",
      "description": "The user friendly name for the namespace. Used by UI if available.",
      "maxLength": 80
    },
    "description": {
      "type": "string",
      "description": "Provides a user friendly description of the namespace.",
      "maxLength": 500
    },
    "visibility": {
      "type": "string",
      "description": "Scope of namespace accessibility.",
      "enum": [
        "public",
        "private"
      ]
    },
    "protected": {
      "type": "boolean",
      "description": "If true, namespace will not be deletable."
    },
    "owner": {
      "type": "string",
      "description": "Owner of the namespace.",
      "maxLength": 255
    },
    "created_at": {
      "type": "string",
      "readOnly": true,
      "description": "Date and time of namespace creation",
      "format": "date-time"
    },
    "updated_at": {
      "type": "string",
      "readOnly": true,
      "description": "Date and time of the last namespace modification",
      "format": "date-time"
    },
    "schema": {
      "readOnly": true,
      "type": "string"
    },
    "self": {
      "readOnly": true,
      "type": "string"
    },
    "resource_type_associations": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "prefix": {
            "type": "string"
          },
          "properties_target": {
            "type": "string"
          }
        }
      }
    },
    "properties": {
      "$ref": "#/definitions/property"
    },
    "objects": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          },
          "description": {
            "type": "string"
          },
          "required": {
            "$ref": "#/definitions/stringArray"
          },
          "properties": {
            "$ref": "#/definitions/property"
          }
        }
      }
    },
    "tags": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "name": {
            "type": "string"
          }
        }
      }
    }
  },
  "additionalProperties": false,
  "definitions": {
    "positiveInteger": {
      "type": "integer",
      "minimum": 0
    },
    "positiveIntegerDefault0": {
      "allOf": [
        {
          "$ref": "#/definitions/positiveInteger"
        },
        {
          "default": 0
        }
      ]
    },
    "stringArray": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "uniqueItems": true
    },
    "property": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "required": [
          "title",
          "type"
        ],
        "properties": {
          "name": {
            "type": "string",
            "maxLength": 80
          },
          "title": {
            "type": "string"
          },
          "description": {
            "type": "string"
          },
          "operators": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "type": {
            "type": "string",
            "enum": [
              "array",
              "boolean",
              "integer",
              "number",
              "object",
              "string",
              null
            ]
          },
          "required": {
            "$ref": "#/definitions/stringArray"
          },
          "minimum": {
            "type": "number"
          },
          "maximum": {
            "type": "number"
          },
          "maxLength": {
            "$ref": "#/definitions/positiveInteger"
          },
          "minLength": {
            "$ref": "#/definitions/positiveIntegerDefault0"
          },
          "pattern": {
            "type": "string",
            "format": "regex"
          },
          "enum": {
            "type": "array"
          },
          "readonly": {
            "type": "boolean"
          },
          "default": {},
          "items": {
            "type": "object",
            "properties": {
              "type": {
                "type": "string",
                "enum": [
                  "array",
                  "boolean",
                  "integer",
                  "number",
                  "object",
                  "string",
                  null
                ]
              },
              "enum": {
                "type": "array"
              }
            }
          },
          "maxItems": {
            "$ref": "#/definitions/positiveInteger"
          },
          "minItems": {
            "$ref": "#/definitions/positiveIntegerDefault0"
          },
          "uniqueItems": {
            "type": "boolean",
            "default": false
          },
          "additionalItems": {
            "type": "boolean"
          }
        }
      }
    }
  },
  "required": [
    "namespace"
  ]
} as const;

/** GET /v2/schemas/metadefs/object. */
export const METADEF_OBJECT_SCHEMA = {
  "name": "object",
  "properties": {
    "name": {
      "type": "string",
      "maxLength": 80
    },
    "description": {
      "type": "string"
    },
    "required": {
      "$ref": "#/definitions/stringArray"
    },
    "properties": {
      "$ref": "#/definitions/property"
    },
    "schema": {
      "readOnly": true,
      "type": "string"
    },
    "self": {
      "readOnly": true,
      "type": "string"
    },
    "created_at": {
      "type": "string",
      "readOnly": true,
      "description": "Date and time of object creation",
      "format": "date-time"
    },
    "updated_at": {
      "type": "string",
      "readOnly": true,
      "description": "Date and time of the last object modification",
      "format": "date-time"
    }
  },
  "additionalProperties": false,
  "definitions": {
    "positiveInteger": {
      "type": "integer",
      "minimum": 0
    },
    "positiveIntegerDefault0": {
      "allOf": [
        {
          "$ref": "#/definitions/positiveInteger"
        },
        {
          "default": 0
        }
      ]
    },
    "stringArray": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "uniqueItems": true
    },
    "property": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "required": [
          "title",
          "type"
        ],
        "properties": {
          "name": {
            "type": "string",
            "maxLength": 80
          },
          "title": {
            "type": "string"
          },
          "description": {
            "type": "string"
          },
          "operators": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "type": {
            "type": "string",
            "enum": [
              "array",
              "boolean",
              "integer",
              "number",
              "object",
              "string",
              null
            ]
          },
          "required": {
            "$ref": "#/definitions/stringArray"
          },
          "minimum": {
            "type": "number"
          },
          "maximum": {
            "type": "number"
          },
          "maxLength": {
            "$ref": "#/definitions/positiveInteger"
          },
          "minLength": {
            "$ref": "#/definitions/positiveIntegerDefault0"
          },
          "pattern": {
            "type": "string",
            "format": "regex"
          },
          "enum": {
            "type": "array"
          },
          "readonly": {
            "type": "boolean"
          },
          "default": {},
          "items": {
            "type": "object",
            "properties": {
              "type": {
                "type": "string",
                "enum": [
                  "array",
                  "boolean",
                  "integer",
                  "number",
                  "object",
                  "string",
                  null
                ]
              },
              "enum": {
                "type": "array"
              }
            }
          },
          "maxItems": {
            "$ref": "#/definitions/positiveInteger"
          },
          "minItems": {
            "$ref": "#/definitions/positiveIntegerDefault0"
          },
          "uniqueItems": {
            "type": "boolean",
            "default": false
          },
          "additionalItems": {
            "type": "boolean"
          }
        }
      }
    }
  },
  "required": [
    "name"
  ]
} as const;

/** GET /v2/schemas/metadefs/property. */
export const METADEF_PROPERTY_SCHEMA = {
  "name": "property",
  "properties": {
    "name": {
      "type": "string",
      "maxLength": 80
    },
    "title": {
      "type": "string"
    },
    "description": {
      "type": "string"
    },
    "operators": {
      "type": "array",
      "items": {
        "type": "string"
      }
    },
    "type": {
      "type": "string",
      "enum": [
        "array",
        "boolean",
        "integer",
        "number",
        "object",
        "string",
        null
      ]
    },
    "required": {
      "$ref": "#/definitions/stringArray"
    },
    "minimum": {
      "type": "number"
    },
    "maximum": {
      "type": "number"
    },
    "maxLength": {
      "$ref": "#/definitions/positiveInteger"
    },
    "minLength": {
      "$ref": "#/definitions/positiveIntegerDefault0"
    },
    "pattern": {
      "type": "string",
      "format": "regex"
    },
    "enum": {
      "type": "array"
    },
    "readonly": {
      "type": "boolean"
    },
    "default": {},
    "items": {
      "type": "object",
      "properties": {
        "type": {
          "type": "string",
          "enum": [
            "array",
            "boolean",
            "integer",
            "number",
            "object",
            "string",
            null
          ]
        },
        "enum": {
          "type": "array"
        }
      }
    },
    "maxItems": {
      "$ref": "#/definitions/positiveInteger"
    },
    "minItems": {
      "$ref": "#/definitions/positiveIntegerDefault0"
    },
    "uniqueItems": {
      "type": "boolean",
      "default": false
    },
    "additionalItems": {
      "type": "boolean"
    }
  },
  "additionalProperties": false,
  "definitions": {
    "positiveInteger": {
      "type": "integer",
      "minimum": 0
    },
    "positiveIntegerDefault0": {
      "allOf": [
        {
          "$ref": "#/definitions/positiveInteger"
        },
        {
          "default": 0
        }
      ]
    },
    "stringArray": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "minItems": 1,
      "uniqueItems": true
    }
  },
  "required": [
    "type",
    "title",
    "name"
  ]
} as const;

/** GET /v2/schemas/metadefs/resource_type (glance names it resource_type_association). */
export const METADEF_RESOURCE_TYPE_SCHEMA = {
  "name": "resource_type_association",
  "properties": {
    "name": {
      "type": "string",
      "description": "Resource type names should be aligned with Heat resource types whenever possible: https://docs.openstack.org/heat/latest/template_guide/openstack.html",
      "maxLength": 80
    },
    "prefix": {
      "type": "string",
      "description": "Specifies the prefix to use for the given resource type. Any properties in the namespace should be prefixed with this prefix when being applied to the specified resource type. Must include prefix separator (e.g. a colon :).",
      "maxLength": 80
    },
    "properties_target": {
      "type": "string",
      "description": "Some resource types allow more than one key / value pair per instance.  For example, Cinder allows user and image metadata on volumes. Only the image properties metadata is evaluated by Nova (scheduling or drivers). This property allows a namespace target to remove the ambiguity.",
      "maxLength": 80
    },
    "created_at": {
      "type": "string",
      "readOnly": true,
      "description": "Date and time of resource type association",
      "format": "date-time"
    },
    "updated_at": {
      "type": "string",
      "readOnly": true,
      "description": "Date and time of the last resource type association modification",
      "format": "date-time"
    }
  },
  "additionalProperties": false,
  "required": [
    "name"
  ]
} as const;

/** GET /v2/schemas/metadefs/tag. */
export const METADEF_TAG_SCHEMA = {
  "name": "tag",
  "properties": {
    "name": {
      "type": "string",
      "maxLength": 80
    },
    "created_at": {
      "type": "string",
      "readOnly": true,
      "description": "Date and time of tag creation",
      "format": "date-time"
    },
    "updated_at": {
      "type": "string",
      "readOnly": true,
      "description": "Date and time of the last tag modification",
      "format": "date-time"
    }
  },
  "additionalProperties": false,
  "required": [
    "name"
  ]
} as const;

type ItemSchema = { readonly name: string; readonly definitions?: unknown } & Record<string, unknown>;

/** The item as a collection embeds it: glance drops `definitions` while rendering the items. */
function withoutDefinitions(item: ItemSchema): Record<string, unknown> {
  const { definitions: _d, ...rest } = item;
  return rest;
}

/** glance's CollectionSchema.raw(): an array of items under `name`, paging links, definitions last. */
function collectionSchema(name: string, item: ItemSchema): Record<string, unknown> {
  return {
    name,
    properties: {
      [name]: { type: 'array', items: withoutDefinitions(item) },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
    ...(item.definitions ? { definitions: item.definitions } : {}),
  };
}

/** GET /v2/schemas/metadefs/namespaces. */
export const METADEF_NAMESPACES_SCHEMA = collectionSchema('namespaces', METADEF_NAMESPACE_SCHEMA);
/** GET /v2/schemas/metadefs/objects. */
export const METADEF_OBJECTS_SCHEMA = collectionSchema('objects', METADEF_OBJECT_SCHEMA);
/** GET /v2/schemas/metadefs/resource_types. */
export const METADEF_RESOURCE_TYPES_SCHEMA = collectionSchema('resource_type_associations', METADEF_RESOURCE_TYPE_SCHEMA);
/** GET /v2/schemas/metadefs/tags. */
export const METADEF_TAGS_SCHEMA = collectionSchema('tags', METADEF_TAG_SCHEMA);

/**
 * GET /v2/schemas/metadefs/properties: glance's DictCollectionSchema (an object keyed by
 * property name), whose items do not require `name` since the key carries it.
 */
export const METADEF_PROPERTIES_SCHEMA: Record<string, unknown> = (() => {
  const item = { ...withoutDefinitions(METADEF_PROPERTY_SCHEMA), required: METADEF_PROPERTY_SCHEMA.required.filter((r) => r !== 'name') };
  return {
    name: 'properties',
    properties: {
      properties: { type: 'object', additionalProperties: item },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
    definitions: METADEF_PROPERTY_SCHEMA.definitions,
  };
})();

/** Every metadef schema by its URL suffix under /v2/schemas/metadefs/. */
export const METADEF_SCHEMAS: Record<string, unknown> = {
  namespace: METADEF_NAMESPACE_SCHEMA,
  namespaces: METADEF_NAMESPACES_SCHEMA,
  resource_type: METADEF_RESOURCE_TYPE_SCHEMA,
  resource_types: METADEF_RESOURCE_TYPES_SCHEMA,
  object: METADEF_OBJECT_SCHEMA,
  objects: METADEF_OBJECTS_SCHEMA,
  property: METADEF_PROPERTY_SCHEMA,
  properties: METADEF_PROPERTIES_SCHEMA,
  tag: METADEF_TAG_SCHEMA,
  tags: METADEF_TAGS_SCHEMA,
};
