# add_mpi_test(<target> RANKS <n>... [TIMEOUT <s>] [LABELS <l>...] [SINGLETON] [CLUSTER])
#
# One CTest test per rank count, <target>.np<N>, run through scripts/mpprun (which holds the
# launcher options: oversubscription, yield when idle, osc). SINGLETON adds <target>.singleton
# (started alone, spawning 2 workers); CLUSTER adds <target>.cluster (4 ranks on 2 virtual
# hosts, label "cluster"). mpirun's --timeout ends a stuck job; CTest's TIMEOUT is the backstop.
set(MPP_MPPRUN "${PROJECT_SOURCE_DIR}/scripts/mpprun")
set(MPP_VCLUSTER "${PROJECT_SOURCE_DIR}/scripts/vcluster")

function(add_mpi_test target)
  cmake_parse_arguments(arg "SINGLETON;CLUSTER" "TIMEOUT" "RANKS;LABELS" ${ARGN})
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 120)
  endif()
  math(EXPR ctest_timeout "${arg_TIMEOUT} + 30")
  foreach(n IN LISTS arg_RANKS)
    add_test(NAME ${target}.np${n}
             COMMAND ${MPP_MPPRUN} -n ${n} --timeout ${arg_TIMEOUT} -- $<TARGET_FILE:${target}>)
    set_tests_properties(${target}.np${n} PROPERTIES
      TIMEOUT ${ctest_timeout} PROCESSORS ${n} LABELS "mpi;np${n};${arg_LABELS}")
  endforeach()
  if(arg_SINGLETON)
    add_test(NAME ${target}.singleton
             COMMAND ${MPP_MPPRUN} --singleton --timeout ${arg_TIMEOUT} -- $<TARGET_FILE:${target}>)
    set_tests_properties(${target}.singleton PROPERTIES
      TIMEOUT ${ctest_timeout} PROCESSORS 3 ENVIRONMENT "MPP_WORKERS=2"
      LABELS "mpi;singleton;${arg_LABELS}")
  endif()
  if(arg_CLUSTER)
    add_test(NAME ${target}.cluster
             COMMAND ${MPP_VCLUSTER} run -n 4 --hosts 2 --timeout ${arg_TIMEOUT} -- $<TARGET_FILE:${target}>)
    set_tests_properties(${target}.cluster PROPERTIES
      TIMEOUT ${ctest_timeout} PROCESSORS 4 LABELS "mpi;cluster;${arg_LABELS}"
      FIXTURES_REQUIRED vcluster RESOURCE_LOCK vcluster SKIP_RETURN_CODE 77)
  endif()
endfunction()

# The virtual cluster is made once for all cluster tests and removed after them.
function(add_vcluster_fixture)
  add_test(NAME vcluster.up COMMAND ${MPP_VCLUSTER} up 2)
  add_test(NAME vcluster.down COMMAND ${MPP_VCLUSTER} down)
  set_tests_properties(vcluster.up PROPERTIES FIXTURES_SETUP vcluster RESOURCE_LOCK vcluster
                       LABELS cluster SKIP_RETURN_CODE 77)
  set_tests_properties(vcluster.down PROPERTIES FIXTURES_CLEANUP vcluster RESOURCE_LOCK vcluster
                       LABELS cluster)
endfunction()

# A Slurm cluster on the virtual hosts (scripts/vcluster slurm, docs/slurm.md) for the batch-job
# tests, made after vcluster.up and removed before vcluster.down.
function(add_slurm_fixture)
  add_test(NAME slurm.up COMMAND ${MPP_VCLUSTER} slurm up 2)
  add_test(NAME slurm.down COMMAND ${MPP_VCLUSTER} slurm down)
  set_tests_properties(slurm.up PROPERTIES FIXTURES_SETUP slurm SKIP_RETURN_CODE 77)
  set_tests_properties(slurm.down PROPERTIES FIXTURES_CLEANUP slurm)
  set_tests_properties(slurm.up slurm.down PROPERTIES FIXTURES_REQUIRED vcluster
                       RESOURCE_LOCK vcluster TIMEOUT 120 LABELS "slurm;cluster")
endfunction()

# add_slurm_test(<name> <code> <regex> <sbatch arguments>...): submits a batch job to that
# cluster and waits for it (vcluster slurm run); passes when the exit code is <code> and the
# report (state, exit code, output file, what is left running) matches <regex> (tests/expect).
# Where Slurm cannot run, vcluster says "SKIP: vcluster: ..." and the test counts as skipped.
function(add_slurm_test name code regex)
  add_test(NAME ${name} COMMAND ${PROJECT_SOURCE_DIR}/tests/expect ${code} ${regex}
           -- ${MPP_VCLUSTER} slurm run --timeout 240 ${ARGN})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 PROCESSORS 2 LABELS "slurm;cluster"
    FIXTURES_REQUIRED "vcluster;slurm" RESOURCE_LOCK vcluster SKIP_REGULAR_EXPRESSION "SKIP: vcluster")
endfunction()
