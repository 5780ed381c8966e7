// Package layering holds the test that enforces the dependency rule of hexauth's
// hexagonal layout (docs/architecture.md): domain depends on nothing, ports on domain,
// use cases on both, adapters never on each other, the use cases or fx, and only app
// wires everything with fx. It has no API.
package layering
