"""JupyterHub for the course on one Linux machine: system users, nbgrader's exchange, the formgrader.

Run it as root with the course's environment, a venv holding the course (`pip install '.[hub]'`), with
`configurable-http-proxy` (npm) on PATH:

    /opt/loops-to-attention/bin/jupyterhub -f /etc/jupyterhub/jupyterhub_config.py

Keep the other files of deploy/ beside this file: the users' servers read their nbgrader and Jupyter
configuration from this folder. Settings that differ between machines come from the environment
(defaults in brackets):

    COURSE_EXCHANGE         nbgrader's shared exchange, a folder of mode 1777        [/srv/nbgrader/exchange]
    COURSE_GRADER           the system account that owns the course directory and runs the formgrader
                                                                                      [grader-loops-to-attention]
    COURSE_DIR              the course directory: a clone of the repository, owned by COURSE_GRADER
                                                                                      [~COURSE_GRADER/loops-to-attention]
    COURSE_INSTRUCTORS      comma-separated hub users who teach: hub admins, with the formgrader  [none]
    COURSE_FORMGRADER_PORT  the formgrader service's port on 127.0.0.1                [9999]

Students are hub users an instructor adds (the admin page or the REST API); the hub then creates their
system accounts with `adduser` (Debian: home folders of mode 0700). deploy/README.md is the guide.
"""
import os
import sys

c = get_config()  # noqa: F821  (injected by traitlets when JupyterHub loads this file)

COURSE_ID = "loops-to-attention"
HERE = os.path.dirname(os.path.abspath(__file__))
EXCHANGE = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
GRADER = os.environ.get("COURSE_GRADER", f"grader-{COURSE_ID}")
COURSE_DIR = os.environ.get("COURSE_DIR", os.path.join(os.path.expanduser(f"~{GRADER}"), COURSE_ID))
INSTRUCTORS = {name.strip() for name in os.environ.get("COURSE_INSTRUCTORS", "").split(",") if name.strip()}
FORMGRADER_PORT = int(os.environ.get("COURSE_FORMGRADER_PORT", "9999"))
FORMGRADERS = f"formgrade-{COURSE_ID}"  # nbgrader's naming convention for the graders' group

# Per student. LocalProcessSpawner enforces none of JupyterHub's limits itself: `prlimit` caps each
# process's address space (so a runaway kernel fails with MemoryError instead of taking the machine) and
# the number of processes and threads the account may run; the BLAS thread count follows the CPU share.
# A cap on the account's total memory and CPU time needs cgroups: systemdspawner, or Kubernetes.
MEMORY_LIMIT = 2 * 1024**3
PROCESS_LIMIT = 256
CPU_LIMIT = 1

# The course's environment is the one this hub runs from.
BIN = os.path.join(sys.prefix, "bin")
ENVIRONMENT = {"PATH": os.pathsep.join([BIN, "/usr/local/bin", "/usr/bin", "/bin"]), "COURSE_EXCHANGE": EXCHANGE}

c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.create_system_users = True
c.Authenticator.admin_users = INSTRUCTORS
c.Authenticator.allow_existing_users = True  # the students an instructor added may log in

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = ["prlimit", f"--as={MEMORY_LIMIT}", f"--nproc={PROCESS_LIMIT}", "--",
                 os.path.join(BIN, "jupyterhub-singleuser")]
c.Spawner.mem_limit = MEMORY_LIMIT  # not enforced by this spawner; shown to the server as MEM_LIMIT
c.Spawner.cpu_limit = CPU_LIMIT
c.Spawner.environment = {
    **ENVIRONMENT,
    "JUPYTER_CONFIG_PATH": HERE,  # deploy/nbgrader_config.py, jupyter_server_config.py, labconfig/
    **{name: str(CPU_LIMIT) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
}
c.Spawner.default_url = "/lab"

# The formgrader: a Jupyter server run as the grader account in the course directory, whose own
# nbgrader_config.py it reads, reached by the instructors through the hub at
# /services/loops-to-attention/formgrader. nbgrader expects the service to be named after the course.
c.JupyterHub.services = [
    {
        "name": COURSE_ID,
        "url": f"http://127.0.0.1:{FORMGRADER_PORT}",
        "command": [os.path.join(BIN, "jupyterhub-singleuser")],
        "user": GRADER,
        "cwd": COURSE_DIR,
        "environment": {**ENVIRONMENT, "JUPYTERHUB_DEFAULT_URL": "/formgrader"},
        "oauth_no_confirm": True,
    }
]
c.JupyterHub.load_groups = {FORMGRADERS: {"users": sorted(INSTRUCTORS)}}
c.JupyterHub.load_roles = [
    {
        "name": FORMGRADERS,
        "groups": [FORMGRADERS],
        "scopes": [f"access:services!service={COURSE_ID}", "list:services", f"read:services!service={COURSE_ID}"],
    }
]
