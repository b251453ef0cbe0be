"""Each lesson's hidden tests, as helpers.grading.spec describes them: trusted, and never in a kernel's reach."""
