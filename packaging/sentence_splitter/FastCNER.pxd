# Cython declarations for PyFastNER's FastCNER (PyFastNER 1.0.10, Apache-2.0): the module's
# own source is compiled unchanged; this file only tells Cython the types it works with, so
# the rule-trie walk that runs from every character of a note uses C integers and typed
# dicts. compile_sentence_splitter.py puts it beside FastCNER.py and checks that the
# compiled module splits the same sentences. Every attribute FastCNER sets is declared
# (a compiled class takes no other).
cimport cython

cdef class FastCNER:
    cdef public object span_compare_method
    cdef public bint support_replication
    cdef public object offset
    cdef public object max_repeat
    cdef public dict overlap_checkers
    cdef public dict wildcard_funcs
    cdef public dict replication_funcs
    cdef public object rule_str
    cdef public dict rule_map
    cdef public dict scores
    cdef public object full_definition
    cdef public dict rule_store
    cdef public object logger

    @cython.locals(length=Py_ssize_t)
    cpdef processRules(self, str text, dict rule_map, Py_ssize_t match_begin,
                       Py_ssize_t match_end, Py_ssize_t current_position, dict matches,
                       pre_char, bint wildcard_support, pre_key)
    cpdef processWildCards(self, str text, dict rule_map, Py_ssize_t match_begin,
                           Py_ssize_t match_end, Py_ssize_t current_position, dict matches,
                           pre_char, bint wildcard_support, pre_key)
