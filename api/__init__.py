"""The HTTP face of rekap: translates requests into service calls, holds no business rule."""
