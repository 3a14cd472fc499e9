project_name: "greenery"

# Schema of the core marts. Overridable by projects that import this one.
constant: schema_core {
  value: "core"
  export: override_optional
}
