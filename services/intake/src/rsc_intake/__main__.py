from rsc_intake.cli import main

main()
