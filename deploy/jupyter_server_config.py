"""Jupyter server configuration for the hub users' own servers, students' and instructors'.

The instructor's tools live in the formgrader service (deploy/jupyterhub_config.py), so these servers
load only the student side of nbgrader: the Assignment List and Validate. labconfig/page_config.json
beside this file hides the matching JupyterLab panels.
"""
c = get_config()  # noqa: F821  (injected by traitlets when the server loads this file)

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
}
