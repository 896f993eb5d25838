from tests.addon_libs import register

register()
