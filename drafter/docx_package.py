"""A .docx package written as python-docx and zipfile write it, byte for byte, faster.

`unmarshal` builds python-docx's package from a package plan (what its reader makes of a template,
worked out once per template by drafter.render and kept by drafter.cache.memo): no zip, content
types or relationships to read again, and the parts no plan changes left unread (`StaticPart`).
`save_deterministic` writes a package with python-docx's own writer steps into a zip at fixed times
(the bytes depend only on the content), copying the static parts' deflated bytes as they are.
tests/test_render_fast.py holds both to the plain python-docx and zipfile path.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Any, Mapping

from docx.opc.part import Part, PartFactory

ZIP_TIME = (1980, 1, 1, 0, 0, 0)

#: (crc32, size, deflated bytes) of a zip member, as the writer stores it
Member = tuple[int, int, bytes]


class StaticPart(Part):
    """A part written as the template alone decides (see `_static_members`): neither parsed nor
    even read from the template unless something asks for its bytes."""

    def __init__(self, partname: Any, content_type: str, template: bytes, package: Any) -> None:
        super().__init__(partname, content_type, package=package)
        self._template = template

    @property
    def blob(self) -> bytes:  # the template's bytes (what is written comes from the cache)
        return zipfile.ZipFile(io.BytesIO(self._template)).read(self.partname.membername)


class _Rel:
    """A relationship as python-docx's package reader hands it to its Unmarshaller."""

    __slots__ = ("reltype", "rId", "is_external", "target_ref", "target_partname")

    def __init__(self, reltype: str, rid: str, is_external: bool, target: str) -> None:
        self.reltype, self.rId, self.is_external = reltype, rid, is_external
        self.target_ref = target if is_external else None
        self.target_partname = None if is_external else target


class _PlanReader:
    """python-docx's PackageReader (the two generators its Unmarshaller reads), from a package plan
    (`_package_plan`): no zip, content types or relationships to read and parse."""

    def __init__(self, plan: Mapping[str, Any]) -> None:
        self._plan = plan

    def iter_sparts(self) -> Any:
        from docx.opc.packuri import PackURI

        for name, content_type, reltype, blob in self._plan["parts"]:
            yield PackURI(name), content_type, reltype, blob

    def iter_srels(self) -> Any:
        for source, reltype, rid, is_external, target in self._plan["rels"]:
            yield source, _Rel(reltype, rid, is_external, target)


def unmarshal(plan: Mapping[str, Any], template: bytes) -> Any:
    """python-docx's Package of `template` from its package plan: parts with no bytes in the plan are
    `StaticPart`s (written from the plan's "static" members)."""
    from docx.opc.package import Unmarshaller
    from docx.package import Package

    def load(partname: Any, content_type: str, reltype: str, blob: bytes | None, package: Any) -> Part:
        if blob is None:
            return StaticPart(partname, content_type, template, package)
        return PartFactory(partname, content_type, reltype, blob, package)

    package = Package()
    Unmarshaller.unmarshal(_PlanReader(plan), package, load)
    return package


def deflate(blob: bytes) -> Member:
    """What zipfile stores for `blob` at ZIP_DEFLATED's default level."""
    z = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return zlib.crc32(blob), len(blob), z.compress(blob) + z.flush()


_DOS_DATE = (ZIP_TIME[0] - 1980) << 9 | ZIP_TIME[1] << 5 | ZIP_TIME[2]
_DOS_TIME = ZIP_TIME[3] << 11 | ZIP_TIME[4] << 5 | (ZIP_TIME[5] // 2)
_EXTERNAL_ATTR = 0o600 << 16
_CREATE_SYSTEM = zipfile.ZipInfo().create_system


class _Zip:
    """PhysPkgWriter's interface over a zip built as `zipfile.ZipFile(…, "w", ZIP_DEFLATED)` writes
    one (each entry a `writestr` of a ZipInfo at ZIP_TIME, mode 0600), byte for byte; members may
    come deflated already (`add`). Fixed times: the bytes depend only on the content."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._central: list[bytes] = []
        self._offset = 0

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self.add(pack_uri.membername, *deflate(blob))

    def add(self, name: str, crc: int, size: int, data: bytes) -> None:
        if max(size * 1.05, len(data), self._offset) > zipfile.ZIP64_LIMIT:
            raise ValueError(f"{name}: too large for a drafted document")  # zipfile would switch to ZIP64
        info = zipfile.ZipInfo(name, ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.CRC, info.file_size, info.compress_size = crc, size, len(data)
        head = info.FileHeader(False)
        try:
            filename, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            filename, flags = name.encode("utf-8"), 0x800
        self._central.append(struct.pack(zipfile.structCentralDir, zipfile.stringCentralDir, info.create_version,
                                         _CREATE_SYSTEM, info.extract_version, 0, flags, zipfile.ZIP_DEFLATED,
                                         _DOS_TIME, _DOS_DATE, crc, len(data), size, len(filename), 0, 0, 0, 0,
                                         _EXTERNAL_ATTR, self._offset) + filename)
        self._chunks += (head, data)
        self._offset += len(head) + len(data)

    def close(self) -> bytes:
        central = b"".join(self._central)
        if len(self._central) > zipfile.ZIP_FILECOUNT_LIMIT or self._offset + len(central) > zipfile.ZIP64_LIMIT:
            raise ValueError("too large for a drafted document")  # zipfile would write ZIP64 records
        end = struct.pack(zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0, len(self._central),
                          len(self._central), len(central), self._offset, 0)
        return b"".join((*self._chunks, central, end))


def save_deterministic(package: Any, static: Mapping[str, Member] | None = None) -> bytes:
    """OpcPackage.save, with python-docx's own writer steps, into a fixed-time zip; the parts opened
    as `StaticPart` are copied from `static` (their bytes as the plain path writes them)."""
    from docx.opc.pkgwriter import PackageWriter

    parts = package.parts
    for part in parts:
        part.before_marshal()
    writer = _Zip()
    PackageWriter._write_content_types_stream(writer, parts)
    PackageWriter._write_pkg_rels(writer, package.rels)
    for part in parts:  # PackageWriter._write_parts
        name = part.partname.membername
        if static and isinstance(part, StaticPart) and name in static:
            writer.add(name, *static[name])
        else:
            writer.write(part.partname, part.blob)
        if len(part.rels):
            writer.write(part.partname.rels_uri, part.rels.xml)
    return writer.close()
