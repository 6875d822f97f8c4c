"""What the version job decides for tiny-lib 1.2.3 (tests/unit/_dists.py), one decision per kind.

The publish and release tests all ask "what does this job do for a release, a rehearsal, a
pre-release, a development build?"; these are the decisions they share, as
:func:`noxline.versioning.compute` would make them (protection unknown: outside GitLab).
"""

from __future__ import annotations

from noxline.versioning import ReleaseKind, VersionDecision

#: Tag 1.2.3: a release, which uploads.
RELEASE = VersionDecision("1.2.3", ReleaseKind.RELEASE, "tag 1.2.3", "1.2.3", None)
#: Tag 1.2.3-dryrun: a rehearsal of release 1.2.3, which only dry-runs.
REHEARSAL = VersionDecision(
    "1.2.3", ReleaseKind.REHEARSAL, "tag 1.2.3-dryrun", "1.2.3-dryrun", None
)
#: Tag 1.2.3rc1: a pre-release, which uploads only with publish-prereleases.
PRERELEASE = VersionDecision("1.2.3rc1", ReleaseKind.PRERELEASE, "tag 1.2.3rc1", "1.2.3rc1", None)
#: Branch main in pipeline 7: a development build, which only dry-runs.
DEV = VersionDecision("1.2.4.dev7", ReleaseKind.DEV, "branch main (pipeline 7)", None, None)
