from rsc_common.http.app import create_app
from rsc_common.http.deps import SessionDep
from rsc_common.http.problem import PROBLEM_JSON, Problem, ProblemError

__all__ = ["PROBLEM_JSON", "Problem", "ProblemError", "SessionDep", "create_app"]
