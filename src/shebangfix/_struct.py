"""Record classes, declared like dataclasses but without their import.

``import dataclasses`` pulls in ``inspect``, ``re`` and ``enum``: more than the interpreter's
own start-up. A command that checks a 20-script venv should cost little more than that start-up,
so the records here are built by this much smaller decorator: an ``__init__`` taking the
annotated fields in order (defaults and ``field(default_factory=...)`` allowed), and
``__repr__``, ``__eq__`` and, when frozen, ``__hash__`` over the fields; assigning to a
frozen record raises ``AttributeError``; instances have ``__slots__``, no ``__dict__``.
Type checkers see them as dataclasses (PEP 681).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar, overload

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
    C = TypeVar("C", bound=type)

    @overload
    def field(*, default: T, repr: bool = ..., compare: bool = ...) -> T: ...
    @overload
    def field(*, default_factory: Callable[[], T], repr: bool = ..., compare: bool = ...) -> T: ...
    @overload
    def field(*, repr: bool = ..., compare: bool = ...) -> Any: ...
    def field(
        *,
        default: Any = ...,
        default_factory: Any = ...,
        repr: bool = True,
        compare: bool = True,
    ) -> Any: ...
    @dataclass_transform(frozen_default=True, field_specifiers=(field,))
    def frozen(cls: C) -> C: ...
    @dataclass_transform(field_specifiers=(field,))
    def mutable(cls: C) -> C: ...

else:
    _MISSING = object()

    class _Field:
        __slots__ = ("compare", "default", "factory", "repr")

        def __init__(self, default, factory, repr, compare):
            self.default = default
            self.factory = factory
            self.repr = repr
            self.compare = compare

    def field(*, default=_MISSING, default_factory=None, repr=True, compare=True):
        return _Field(default, default_factory, repr, compare)

    # Compiling an __init__ for each record class costs ~0.1 ms at import: a tenth of
    # ``check``'s budget for a small venv. So a class starts with a generic __init__ and
    # gets a compiled one once it has made this many records.
    _COMPILE_AFTER = 64

    def _compiled_init(cls, specs, is_frozen):
        namespace = {"_MISSING": _MISSING}
        params, body = [], []
        for name, spec in specs:
            if spec.factory is not None:
                namespace[f"_factory_{name}"] = spec.factory
                params.append(f"{name}=_MISSING")
                body.append(f"  if {name} is _MISSING: {name} = _factory_{name}()")
            elif spec.default is not _MISSING:
                namespace[f"_default_{name}"] = spec.default
                params.append(f"{name}=_default_{name}")
            else:
                params.append(name)
            if is_frozen:
                # The slot's own setter, bound once: a third cheaper per field than
                # object.__setattr__, which looks the slot up by name on every call.
                namespace[f"_set_{name}"] = cls.__dict__[name].__set__
                body.append(f"  _set_{name}(self, {name})")
            else:
                body.append(f"  self.{name} = {name}")
        source = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body or ["  pass"])
        # The source is built from the class's own annotated names only, as dataclasses do.
        exec(source, namespace)
        return namespace["__init__"]

    def _counting_init(cls, specs, is_frozen):
        names = [name for name, _ in specs]
        index = {name: i for i, name in enumerate(names)}
        template = [spec.default for _, spec in specs]
        factories = [spec.factory for _, spec in specs]
        assign = object.__setattr__ if is_frozen else setattr
        calls = 0

        def __init__(self, *args, **kwargs):  # noqa: N807
            nonlocal calls
            calls += 1
            if calls == _COMPILE_AFTER:
                cls.__init__ = _compiled_init(cls, specs, is_frozen)
            if len(args) > len(names):
                raise TypeError(f"{cls.__name__}() takes {len(names)} arguments")
            values = [*args, *template[len(args) :]]
            for key, value in kwargs.items():
                at = index.get(key)
                if at is None or at < len(args):
                    raise TypeError(f"{cls.__name__}() got an unexpected argument {key!r}")
                values[at] = value
            for at, value in enumerate(values):
                if value is _MISSING:
                    if factories[at] is None:
                        raise TypeError(f"{cls.__name__}() missing argument {names[at]!r}")
                    values[at] = factories[at]()
            for name, value in zip(names, values):
                assign(self, name, value)

        return __init__

    def _frozen_setattr(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r}")

    def _build(cls, is_frozen):
        specs = []
        for name, annotation in getattr(cls, "__annotations__", {}).items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = cls.__dict__.get(name, _MISSING)
            spec = value if isinstance(value, _Field) else _Field(value, None, True, True)
            specs.append((name, spec))
        # Rebuilt with __slots__: records are made by the thousand (one per script), and
        # without a __dict__ each is smaller and quicker to fill.
        names = [name for name, _ in specs]
        namespace = {
            key: value
            for key, value in cls.__dict__.items()
            if key not in names and key not in ("__dict__", "__weakref__")
        }
        namespace["__slots__"] = tuple(names)
        cls = type(cls)(cls.__name__, cls.__bases__, namespace)
        cls.__init__ = _counting_init(cls, specs, is_frozen)
        shown = tuple(name for name, spec in specs if spec.repr)
        compared = tuple(name for name, spec in specs if spec.compare)

        def _repr(self):
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
            return f"{type(self).__qualname__}({inner})"

        def key(self):
            return tuple(getattr(self, name) for name in compared)

        def _eq(self, other):
            if other.__class__ is not self.__class__:
                return NotImplemented
            return key(self) == key(other)

        cls.__repr__ = _repr
        cls.__eq__ = _eq
        cls.__match_args__ = tuple(name for name, _ in specs)
        if is_frozen:
            cls.__hash__ = lambda self: hash(key(self))
            cls.__setattr__ = _frozen_setattr
            cls.__delattr__ = _frozen_setattr
        else:
            cls.__hash__ = None
        return cls

    def frozen(cls):
        return _build(cls, True)

    def mutable(cls):
        return _build(cls, False)
