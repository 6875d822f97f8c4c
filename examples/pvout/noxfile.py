import nox
import noxline

nox.needs_version = ">=2026.10.20"
noxline.register()
