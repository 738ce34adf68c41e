"""Who may do what, where: roles, permissions and projects, as data.

A user has one role and a list of projects (管理处/小区); an administrator spans all projects. A
permission is the right to an action; whether it applies to a given document also depends on the
document's project (`project_ok`). Routes ask `allowed(user, permission)` (through
`app.auth.web.require`) and filter or refuse by project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Principal(Protocol):
    """What the policy needs of a user (app.auth.accounts.CurrentUser has it)."""

    @property
    def role(self) -> str: ...

    @property
    def projects(self) -> frozenset[str]: ...


ROLES: dict[str, str] = {
    "clerk": "客服",
    "finance": "财务",
    "archivist": "档案管理员",
    "admin": "管理员",
}
ADMIN = "admin"


@dataclass(frozen=True)
class Permission:
    label: str  # named in the 403 message: 没有权限：<label>
    roles: frozenset[str]


def _p(label: str, *roles: str) -> Permission:
    return Permission(label, frozenset(roles) | {ADMIN})


PERMISSIONS: dict[str, Permission] = {
    # every role reads the documents of its own projects (lists, document page, files), masked
    "documents.read": _p("查看文书", "clerk", "finance", "archivist"),
    # ID numbers and phones unmasked on the document page: the clerk who issued it, the archivist
    "documents.read_full": _p("查看完整个人信息", "clerk", "archivist"),
    # issue and preview (样张) single documents
    "documents.issue": _p("开具文书", "clerk"),
    "documents.void": _p("作废文书", "clerk"),
    # batches: upload a ledger, start, download the print PDF / Word ZIP / results
    "batches": _p("批量开具", "finance"),
    # the archivist's index: search with every filter, export to .xlsx
    "search": _p("检索文书", "archivist"),
    # retention due lists, legal holds, disposal and its 销毁清册
    "records": _p("保管期限、保全与销毁", "archivist"),
    # 档号, 归档章, PDF/A archive copies
    "archive": _p("归档", "archivist"),
    # accounts and API tokens, the audit trail as a whole
    "users": _p("用户与权限管理"),
}


def role_label(role: str) -> str:
    return ROLES.get(role, role)


def permission_label(permission: str) -> str:
    return PERMISSIONS[permission].label


def allowed(user: Principal | None, permission: str) -> bool:
    """Whether the user's role holds the permission (an unknown permission is a programming error)."""
    rule = PERMISSIONS[permission]
    return user is not None and user.role in rule.roles


def visible_projects(user: Principal) -> set[str] | None:
    """The projects whose documents the user may see; None means all (administrators)."""
    if user.role == ADMIN:
        return None
    return set(user.projects)


def project_ok(user: Principal | None, project: str) -> bool:
    """Whether the user works in the project (administrators work in all)."""
    if user is None:
        return False
    return user.role == ADMIN or project in user.projects


def may_see_full(user: Principal | None, project: str | None = None) -> bool:
    """Whether the user may see unmasked ID numbers and phones (of a document in `project`, if given).

    Archivists and administrators need them for disputes and hand-overs; clerks issue documents and
    must be able to read back what they issued, so they see them too — always within their projects.
    """
    if not allowed(user, "documents.read_full"):
        return False
    return project is None or project_ok(user, project)
