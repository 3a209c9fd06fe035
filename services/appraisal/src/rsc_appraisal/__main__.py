from rsc_appraisal.cli import main

main()
