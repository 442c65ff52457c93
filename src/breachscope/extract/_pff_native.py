"""Two things libpff does that its Python bindings (pypff) do not expose, called in the same
loaded module through ``ctypes``: the message attached to an attachment (an *embedded item*,
``libpff_attachment_get_item``: a forwarded mail is an attachment of this kind) and the
recovery of deleted items (``libpff_file_recover_items``, what ``pffexport -m recovered``
does). Written by hand because no other free library reads them and pypff's objects give
no method for either; the C functions are the library's own, exported by the wheel.

The C object behind a pypff object is its first field after ``PyObject_HEAD`` (pypff's
``pypff_item_t`` and ``pypff_file_t``); the result is wrapped by pypff's own
``pypff_item_create`` (which picks the Python type and owns the C item from then on).
Before any call the layout is checked (a release CPython build, pypff's object sizes) and
each pointer is cross-checked against what pypff itself reports (identifier, file size):
on any doubt the feature is off (:func:`native` returns ``None``) and the extractor says so.
"""

from __future__ import annotations

import ctypes
import sys
from functools import lru_cache
from typing import Any

#: Bytes of ``PyObject_HEAD`` in a release build of CPython (reference count, type).
_HEAD = 16
_P = ctypes.c_void_p
_PP = ctypes.POINTER(ctypes.c_void_p)


class Native:
    """The C functions, bound once per process."""

    def __init__(self, pypff: Any) -> None:
        lib = ctypes.CDLL(pypff.__file__)  # the module already loaded: the same handle
        api = ctypes.PyDLL(pypff.__file__)  # keeps the GIL, checks the Python error state
        self.pypff = pypff

        def bind(name: str, restype: Any, *argtypes: Any, source: Any = lib) -> Any:
            function = getattr(source, name)
            function.restype, function.argtypes = restype, list(argtypes)
            return function

        c_int = ctypes.c_int
        self.attachment_get_item = bind("libpff_attachment_get_item", c_int, _P, _PP, _PP)
        self.item_get_identifier = bind("libpff_item_get_identifier", c_int, _P,
                                        ctypes.POINTER(ctypes.c_uint32), _PP)
        self.item_free = bind("libpff_item_free", c_int, _PP, _P)
        self.file_get_size = bind("libpff_file_get_size", c_int, _P,
                                  ctypes.POINTER(ctypes.c_uint64), _PP)
        self.recover_items = bind("libpff_file_recover_items", c_int, _P, ctypes.c_uint8, _PP)
        self.count_recovered = bind("libpff_file_get_number_of_recovered_items", c_int, _P,
                                    ctypes.POINTER(c_int), _PP)
        self.get_recovered = bind("libpff_file_get_recovered_item_by_index", c_int, _P, c_int,
                                  _PP, _PP)
        self.error_free = bind("libpff_error_free", None, _PP)
        self.item_create = bind("pypff_item_create", ctypes.py_object, _P, ctypes.py_object,
                                source=api)

    def _fail(self, error: ctypes.c_void_p) -> None:
        if error.value:
            self.error_free(ctypes.byref(error))

    @staticmethod
    def _pointer(obj: Any) -> int | None:
        return ctypes.c_void_p.from_address(id(obj) + _HEAD).value

    def _wrap(self, item: ctypes.c_void_p, parent: Any) -> Any:
        """A pypff object owning ``item`` (freed here if pypff cannot wrap it)."""
        try:
            return self.item_create(item, parent)
        except Exception:
            self.item_free(ctypes.byref(item), None)
            raise OSError("pypff cannot wrap the item") from None

    def _item_pointer(self, obj: Any) -> int | None:
        """The ``libpff_item_t`` of a pypff item, when its identifier matches pypff's."""
        pointer = self._pointer(obj)
        if not pointer:
            return None
        value, error = ctypes.c_uint32(), ctypes.c_void_p()
        result = self.item_get_identifier(pointer, ctypes.byref(value), ctypes.byref(error))
        self._fail(error)
        try:
            expected = obj.identifier
        except Exception:
            return None
        return pointer if result == 1 and value.value == expected else None

    def attached_item(self, attachment: Any) -> Any | None:
        """The message an attachment holds (attach method 5), or ``None``; ``OSError`` when
        libpff cannot read it."""
        pointer = self._item_pointer(attachment)
        if pointer is None:
            raise OSError("attachment object not recognised")
        item, error = ctypes.c_void_p(), ctypes.c_void_p()
        result = self.attachment_get_item(pointer, ctypes.byref(item), ctypes.byref(error))
        self._fail(error)
        if result != 1 or not item.value:
            if result == -1:
                raise OSError("libpff cannot read the attached item")
            return None
        return self._wrap(item, attachment)

    def _file_pointer(self, pff: Any) -> int | None:
        pointer = self._pointer(pff)
        if not pointer:
            return None
        size, error = ctypes.c_uint64(), ctypes.c_void_p()
        result = self.file_get_size(pointer, ctypes.byref(size), ctypes.byref(error))
        self._fail(error)
        return pointer if result == 1 and size.value == pff.size else None

    def recover(self, pff: Any) -> int:
        """Run libpff's recovery of deleted items over the open file (none are found when
        its allocation maps are missing or invalid, as with pffexport); how many it found.
        Releases the GIL while it runs: :meth:`pypff.file.signal_abort` stops it."""
        pointer = self._file_pointer(pff)
        if pointer is None:
            raise OSError("file object not recognised")
        error = ctypes.c_void_p()
        if self.recover_items(pointer, 0, ctypes.byref(error)) != 1:
            self._fail(error)
            return 0
        count = ctypes.c_int()
        if self.count_recovered(pointer, ctypes.byref(count), ctypes.byref(error)) != 1:
            self._fail(error)
            return 0
        return max(count.value, 0)

    def recovered_item(self, pff: Any, index: int) -> Any:
        """The ``index``-th recovered item (after :meth:`recover`); ``OSError`` when libpff
        cannot give it."""
        pointer = self._file_pointer(pff)
        if pointer is None:
            raise OSError("file object not recognised")
        item, error = ctypes.c_void_p(), ctypes.c_void_p()
        if self.get_recovered(pointer, index, ctypes.byref(item),
                              ctypes.byref(error)) != 1 or not item.value:
            self._fail(error)
            raise OSError("libpff cannot give the recovered item")
        return self._wrap(item, pff)


@lru_cache(maxsize=1)
def native() -> Native | None:
    """The bound functions, or ``None`` where the layout they rely on cannot be trusted."""
    import pypff

    if hasattr(sys, "gettotalrefcount") or sys.implementation.name != "cpython":
        return None  # a debug build's PyObject_HEAD is larger
    if pypff.file.__basicsize__ != _HEAD + 16 or pypff.attachment.__basicsize__ < _HEAD + 16:
        return None
    try:
        return Native(pypff)
    except (AttributeError, OSError):
        return None
